// Room for exit.json, kept from the start of the job. A job that fills its disk must still get
// its end recorded, or the server can only call it orphaned ("supervisor vanished") and never
// say why. So before the job starts the runner creates the record's temporary file beside
// exit.json and fills it with a few KiB; at the end it overwrites those bytes in place,
// truncates, syncs and renames. None of that needs a new data block on an ordinary filesystem
// (ext4, xfs, tmpfs); copy-on-write ones (btrfs, zfs) may still refuse, and then the server
// says the disk is full from its own look at it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cj::runner {

class ExitSlot {
  public:
    // The room the slot keeps: far more than a record takes (a few hundred bytes, a launch
    // error with a long path at most a few KiB).
    static constexpr std::size_t kBytes = 8192;

    ExitSlot() = default;
    ~ExitSlot();  // removes the temporary file if the record was never written
    ExitSlot(const ExitSlot&) = delete;
    ExitSlot& operator=(const ExitSlot&) = delete;

    // Creates and fills the temporary file in the folder open as dirFd (0600). 0 or an errno
    // value; without a slot, write() falls back to an ordinary write.
    int reserve(int dirFd, const char* name);
    bool reserved() const { return fd_ >= 0; }

    // Replaces dirFd/name with content, whole and durably (file and folder synced): through
    // the slot when there is one and the content fits, else as a new temporary file. 0 or an
    // errno value.
    int write(std::string_view content);

  private:
    int write_in_place(std::string_view content);
    void discard();

    int dirFd_ = -1;
    const char* name_ = nullptr;
    std::string temp_;
    int fd_ = -1;
};

}  // namespace cj::runner

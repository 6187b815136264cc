// The exit record's reserved room (see exit_slot.h).
#include "runner/exit_slot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "claude_jobs/job_folder.h"

namespace cj::runner {

namespace {

// 0 or an errno value.
int pwrite_all(int fd, std::string_view data, off_t offset) {
    while (!data.empty()) {
        ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        data.remove_prefix(static_cast<std::size_t>(n));
        offset += n;
    }
    return 0;
}

}  // namespace

ExitSlot::~ExitSlot() {
    discard();
}

void ExitSlot::discard() {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ::unlinkat(dirFd_, temp_.c_str(), 0);
}

int ExitSlot::reserve(int dirFd, const char* name) {
    discard();
    dirFd_ = dirFd;
    name_ = name;
    // Hidden and named after this runner, like write_file_atomically's temporary files.
    temp_ = std::string(".") + name + "." + std::to_string(::getpid()) + ".reserved";
    int fd =
        ::openat(dirFd, temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    // Written, not fallocated: real data blocks, so overwriting them later converts nothing
    // and allocates nothing.
    int err = pwrite_all(fd, std::string(kBytes, ' '), 0);
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    fd_ = fd;
    if (err != 0) discard();
    return err;
}

int ExitSlot::write_in_place(std::string_view content) {
    if (int err = pwrite_all(fd_, content, 0); err != 0) return err;
    // Shrinking frees blocks, never needs one.
    if (::ftruncate(fd_, static_cast<off_t>(content.size())) != 0) return errno;
    if (::fsync(fd_) != 0) return errno;
    if (::renameat(dirFd_, temp_.c_str(), dirFd_, name_) != 0) return errno;
    ::close(fd_);
    fd_ = -1;
    // Without this the rename itself may not survive a crash, leaving no record at all.
    if (::fsync(dirFd_) != 0) return errno;
    return 0;
}

int ExitSlot::write(std::string_view content) {
    if (fd_ >= 0 && content.size() <= kBytes) {
        if (write_in_place(content) == 0) return 0;
        discard();  // a half-written slot is no record: try the ordinary way
    }
    if (dirFd_ < 0) return EBADF;
    return claude_jobs::job_folder::write_file_atomically(dirFd_, name_, content, 0600,
                                                          /*durable=*/true);
}

}  // namespace cj::runner

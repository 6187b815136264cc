// A small filesystem of a test's own, to fill up: a tmpfs of a few MiB mounted on a fresh
// folder under /tmp, unmounted (lazily, so a process still inside cannot keep it) and removed
// when the test ends. Mounting needs root (CI runs as root); where it is refused, why() says
// so and the test skips.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cj::testing {

class SmallDisk {
  public:
    explicit SmallDisk(int megabytes = 8) {
        char pattern[] = "/tmp/cj-small-disk-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) {
            why_ = std::string("mkdtemp: ") + std::strerror(errno);
            return;
        }
        path_ = pattern;
        std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
        if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
            why_ = std::string("cannot mount a tmpfs (needs root): ") + std::strerror(errno);
            ::rmdir(path_.c_str());
            path_.clear();
        }
    }
    ~SmallDisk() {
        if (path_.empty()) return;
        ::umount2(path_.c_str(), MNT_DETACH);
        ::rmdir(path_.c_str());
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    // "" when mounted; else why not (skip the test with it).
    const std::string& why() const { return why_; }
    const std::string& path() const { return path_; }

    // Writes a filler file until the filesystem refuses more (ENOSPC). True when it is full.
    bool fill() {
        std::string filler = path_ + "/filler-" + std::to_string(fillers_++);
        int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return errno == ENOSPC;
        static const std::string block(64 * 1024, 'x');
        int err = 0;
        for (;;) {
            ssize_t n = ::write(fd, block.data(), block.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                err = errno;
                break;
            }
            if (n == 0) break;
        }
        ::close(fd);
        return err == ENOSPC;
    }
    // Removes what fill() wrote: space returns.
    void free_up() {
        for (int i = 0; i < fillers_; ++i)
            ::unlink((path_ + "/filler-" + std::to_string(i)).c_str());
    }

  private:
    std::string path_;
    std::string why_;
    int fillers_ = 0;
};

}  // namespace cj::testing

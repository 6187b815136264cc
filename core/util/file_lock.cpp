#include "core/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace cj::util {

FileLock::FileLock(const std::string& path, Mode mode)
    // O_CLOEXEC: a process started while it is held (a job's supervisor) must not inherit it.
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (fd_ < 0) return;
    int how = mode == Mode::Try ? LOCK_EX | LOCK_NB : LOCK_EX;
    int rc;
    do {
        rc = ::flock(fd_, how);
    } while (rc != 0 && errno == EINTR);
    held_ = rc == 0;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace cj::util

// Opening the work folder without following symlinks (see work_folder.h).
#include "runner/work_folder.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cj::runner {

namespace {

constexpr int kDirFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;

// openat(O_PATH | O_NOFOLLOW | O_DIRECTORY) of a symlink fails with ENOTDIR; say ELOOP, as
// openat2 does, when the component really is one.
int open_component(int parent, const std::string& name) {
    int fd = ::openat(parent, name.c_str(), kDirFlags | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOTDIR) return fd;
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        errno = ELOOP;
    else
        errno = ENOTDIR;
    return -1;
}

}  // namespace

int open_work_folder_by_walk(const std::string& path) {
    if (path.empty()) {
        errno = ENOENT;
        return -1;
    }
    int fd = ::open(path[0] == '/' ? "/" : ".", kDirFlags);
    if (fd < 0) return -1;
    std::size_t at = 0;
    while (at < path.size()) {
        std::size_t end = path.find('/', at);
        if (end == std::string::npos) end = path.size();
        std::string name = path.substr(at, end - at);
        at = end + 1;
        if (name.empty() || name == ".") continue;
        int next = open_component(fd, name);
        int err = errno;
        ::close(fd);
        if (next < 0) {
            errno = err;
            return -1;
        }
        fd = next;
    }
    return fd;
}

int open_work_folder(const std::string& path) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(kDirFlags);
    how.resolve = RESOLVE_NO_SYMLINKS;
    long fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // ENOSYS: a kernel before 5.6; EPERM: a seccomp filter (some container runtimes) that
    // does not know the call.
    if (errno == ENOSYS || errno == EPERM) return open_work_folder_by_walk(path);
    return -1;
}

std::string work_folder_error(const std::string& path, int err) {
    std::string message = "cannot enter work folder " + path + ": ";
    if (err == ELOOP)
        return message +
               "it, or a folder on its path, is a symbolic link; a job runs only in the real "
               "folder it was accepted for";
    return message + std::strerror(err);
}

}  // namespace cj::runner

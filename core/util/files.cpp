#include "core/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/util/fd.h"

namespace cj::util {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

claude_jobs::Error sys_error(const std::string& what, const std::string& path, int err) {
    ErrorCode code = ErrorCode::Internal;
    if (err == ENOSPC || err == EDQUOT) code = ErrorCode::Unavailable;
    if (err == EACCES || err == EPERM) code = ErrorCode::PermissionDenied;
    std::string hint;
    if (err == ENOSPC || err == EDQUOT) hint = " (free some disk space and try again)";
    return make_error(code, what + " " + path + ": " + std::strerror(err) + hint, err,
                      err == ENOSPC || err == EDQUOT);
}

Result<void> write_all(int fd, const std::string& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;  // a signal arrived mid-write: resume
            return sys_error("cannot write", path, errno);
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<void> make_private_dirs(const std::string& given) {
    // "a/link/" would make lstat follow the link; the check is on the name itself.
    std::string path = given;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    std::string current;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t next = path.find('/', pos);
        if (next == std::string::npos) next = path.size();
        current = path.substr(0, next);
        pos = next + 1;
        if (current.empty()) continue;
        if (::mkdir(current.c_str(), 0700) == 0) continue;
        if (errno != EEXIST) return sys_error("cannot create folder", current, errno);
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0) return sys_error("cannot stat", current, errno);
        if (next == path.size() && !S_ISDIR(st.st_mode))
            return make_error(ErrorCode::PermissionDenied,
                              current + " exists and is not a folder (a symlink is not accepted)");
    }
    return {};
}

Result<void> write_new_file(const std::string& path, const std::string& content, bool sync) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return sys_error("cannot create", path, errno);
    if (auto r = write_all(fd.get(), content, path); !r) return r;
    if (sync && ::fsync(fd.get()) != 0) return sys_error("cannot sync", path, errno);
    return {};
}

Result<void> write_file_atomic(const std::string& dir, const std::string& name,
                               const std::string& content, bool sync) {
    static std::atomic<std::uint64_t> serial{0};
    std::string tmp = dir + "/." + name + ".tmp." + std::to_string(::getpid()) + "." +
                      std::to_string(serial++);
    std::string final_path = dir + "/" + name;
    ::unlink(tmp.c_str());
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd.get() < 0) return sys_error("cannot create", tmp, errno);
        if (auto r = write_all(fd.get(), content, tmp); !r) {
            ::unlink(tmp.c_str());
            return r;
        }
        if (sync && ::fsync(fd.get()) != 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            return sys_error("cannot sync", tmp, err);
        }
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return sys_error("cannot rename into", final_path, err);
    }
    if (!sync) return {};
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
    return {};
}

Result<std::optional<std::string>> read_file(const std::string& path, std::size_t maxBytes) {
    // O_NONBLOCK: a FIFO planted at the path must not hang the reader.
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        return sys_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(ErrorCode::Internal, path + " is not a regular file");
    std::string out;
    char buf[65536];
    while (out.size() < maxBytes) {
        std::size_t want = std::min(sizeof buf, maxBytes - out.size());
        ssize_t n = ::read(fd.get(), buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;  // interrupted: read again
            return sys_error("cannot read", path, errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return std::optional<std::string>(std::move(out));
}

Result<std::string> read_range(const std::string& path, std::uint64_t offset, std::size_t length) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::string();
        return sys_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(ErrorCode::Internal, path + " is not a regular file");
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    length = offset >= size ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(length, size - offset));
    std::string out(length, '\0');
    std::size_t got = 0;
    while (got < length) {
        ssize_t n = ::pread(fd.get(), out.data() + got, length - got,
                            static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;  // interrupted: read again
            return sys_error("cannot read", path, errno);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

std::optional<std::uint64_t> file_size(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
}

Result<void> remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // removes symlinks themselves, never their targets
    if (ec) return sys_error("cannot remove", path, ec.value());
    return {};
}

}  // namespace cj::util

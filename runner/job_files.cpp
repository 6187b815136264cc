// File handling in the job folder (see job_files.h).
#include "runner/job_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runner/options.h"

namespace cj::runner {

namespace {

constexpr int kFileFlags = O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kFileMode = 0600;
constexpr std::size_t kMaxCancelFileBytes = 4096;

// Returns 0 or an errno value.
int write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;  // a stop/continue can interrupt a write to a slow disk
            return errno;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

}  // namespace

int open_job_dir(const std::string& path) {
    return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int open_prompt(int dirFd) {
    return ::openat(dirFd, kPromptFile, O_RDONLY | kFileFlags);
}

int open_log(int dirFd, const char* name) {
    return ::openat(dirFd, name, O_WRONLY | O_CREAT | O_APPEND | kFileFlags, kFileMode);
}

int write_file_atomically(int dirFd, const char* name, const std::string& content) {
    std::string temp = std::string(".") + name + ".tmp";
    int fd = ::openat(dirFd, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | kFileFlags, kFileMode);
    if (fd < 0) return errno;
    int err = write_all(fd, content.data(), content.size());
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err == 0 && ::renameat(dirFd, temp.c_str(), dirFd, name) != 0) err = errno;
    if (err != 0) {
        ::unlinkat(dirFd, temp.c_str(), 0);
        return err;
    }
    // Without this the rename itself may not survive a crash, leaving no record at all.
    if (::fsync(dirFd) != 0) return errno;
    return 0;
}

std::optional<std::int64_t> read_cancel_grace_ms(int dirFd) {
    int fd = ::openat(dirFd, kCancelFile, O_RDONLY | kFileFlags);
    if (fd < 0) return std::nullopt;
    char buf[kMaxCancelFileBytes + 1];
    std::size_t used = 0;
    while (used < kMaxCancelFileBytes) {
        ssize_t n = ::read(fd, buf + used, kMaxCancelFileBytes - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    buf[used] = '\0';

    // The file is {"graceSec":N} written by our own server; finding the one key is enough.
    const char* key = std::strstr(buf, "\"graceSec\"");
    if (key == nullptr) return std::nullopt;
    const char* p = key + std::strlen("\"graceSec\"");
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    if (*p != ':') return std::nullopt;
    ++p;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    std::string number;
    while ((*p >= '0' && *p <= '9') || *p == '.') number += *p++;
    std::int64_t ms = parse_seconds(number.c_str());
    if (ms < 0) return std::nullopt;
    return ms;
}

}  // namespace cj::runner

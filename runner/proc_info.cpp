// Reading process identity from /proc, and the two clocks the runner uses (see proc_info.h).
#include "runner/proc_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace cj::runner {

namespace {

// Reads a small /proc file whole; "" on failure.
std::string read_proc_file(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string out;
    char buf[1024];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::int64_t clock_ms(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

std::int64_t process_start_time(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    std::string stat = read_proc_file(path);
    // Field 2 is the command name in parentheses and may itself hold spaces and ')';
    // counting starts after the last ')', where field 3 begins.
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    const char* p = stat.c_str() + close + 1;
    for (int field = 3; field < 22; ++field) {
        while (*p == ' ') ++p;
        while (*p != ' ' && *p != '\0') ++p;
    }
    while (*p == ' ') ++p;
    if (*p < '0' || *p > '9') return -1;
    return std::strtoll(p, nullptr, 10);
}

std::string boot_id() {
    std::string id = read_proc_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
}

std::int64_t wall_ms() {
    return clock_ms(CLOCK_REALTIME);
}

std::int64_t monotonic_ms() {
    return clock_ms(CLOCK_MONOTONIC);
}

}  // namespace cj::runner

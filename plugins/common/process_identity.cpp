// Process identity from /proc: start time, state, process group, boot id.
#include "common/process_identity.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace cj::plugin_common {

namespace {

// Reads a whole small /proc file; "" on failure. /proc/<pid>/stat is well under a page.
std::string read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    std::string text;
    char buffer[1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;  // a signal is no reason to lose the answer
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 64 * 1024) break;
    }
    ::close(fd);
    return text;
}

bool is_running_state(char state) {
    return state != 'Z' && state != 'X' && state != 'x';
}

}  // namespace

bool parse_proc_stat(const char* text, std::size_t length, ProcStat& out) noexcept {
    std::size_t close = length;
    for (std::size_t i = length; i > 0; --i) {
        if (text[i - 1] == ')') {
            close = i - 1;
            break;
        }
    }
    if (close == length) return false;
    // Fields after ')': index 0 is field 3 (state), 2 is field 5 (pgrp), 19 is field 22.
    int field = -1;
    bool gotStart = false;
    for (std::size_t i = close + 1; i < length;) {
        while (i < length && text[i] == ' ') ++i;
        if (i >= length || text[i] == '\n') break;
        ++field;
        std::size_t start = i;
        while (i < length && text[i] != ' ' && text[i] != '\n') ++i;
        if (field == 0) {
            out.state = text[start];
        } else if (field == 2 || field == 19) {
            std::uint64_t value = 0;
            bool negative = text[start] == '-';
            for (std::size_t k = start + (negative ? 1 : 0); k < i; ++k) {
                if (text[k] < '0' || text[k] > '9') return false;
                value = value * 10 + static_cast<std::uint64_t>(text[k] - '0');
            }
            if (field == 2) {
                out.pgrp =
                    negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
            } else {
                out.startTime = value;
                gotStart = true;
                break;
            }
        }
    }
    return gotStart;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::string text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    ProcStat stat;
    if (text.empty() || !parse_proc_stat(text.data(), text.size(), stat)) return std::nullopt;
    return stat;
}

std::string current_boot_id() {
    std::string id = read_small_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
}

bool is_same_process(pid_t pid, std::uint64_t startTime) {
    auto stat = read_proc_stat(pid);
    return stat && is_running_state(stat->state) && stat->startTime == startTime;
}

bool signal_if_same(pid_t pid, std::uint64_t startTime, int sig) {
    if (pid <= 1) return false;  // never signal init, a group (0) or everyone (-1)
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        // The pidfd pins the process: checked now, it cannot turn into another one later.
        bool same = is_same_process(pid, startTime);
        bool sent = same && ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
        ::close(pidfd);
        return sent;
    }
    if (errno != ENOSYS) return false;  // ESRCH: it is gone
#endif
    return is_same_process(pid, startTime) && ::kill(pid, sig) == 0;
}

}  // namespace cj::plugin_common

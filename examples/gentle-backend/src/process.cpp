// Process identity and small files (see process.h).
#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace gentle {

namespace {

constexpr std::size_t kMaxSmallFile = 64 * 1024;

bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    auto close = text->rfind(')');
    if (close == std::string::npos || close + 2 >= text->size()) return std::nullopt;
    char state = (*text)[close + 2];
    if (state == 'Z' || state == 'X') return std::nullopt;
    ProcStat stat;
    std::size_t at = close + 2;
    for (int field = 3; field <= 22 && at < text->size(); ++field) {
        std::size_t end = text->find(' ', at);
        std::string value = text->substr(at, end == std::string::npos ? end : end - at);
        if (field == 5) stat.pgrp = static_cast<pid_t>(std::strtol(value.c_str(), nullptr, 10));
        if (field == 22) {
            stat.startTime = std::strtoull(value.c_str(), nullptr, 10);
            return stat;
        }
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return std::nullopt;
}

bool is_alive(const ProcessIdentity& process) {
    auto stat = read_proc_stat(process.pid);
    return stat && stat->startTime == process.startTime;
}

bool signal_exactly(const ProcessIdentity& process, int sig) {
    if (process.pid <= 0) return false;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, process.pid, 0));
    if (pidfd < 0) return false;
    // The pidfd pins the process: if it is still the one we mean now, the signal reaches it.
    bool sent = is_alive(process) && ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
    ::close(pidfd);
    return sent;
}

std::string boot_id() {
    auto text = read_small_file("/proc/sys/kernel/random/boot_id");
    if (!text) return "";
    while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
    return *text;
}

std::optional<std::string> read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxSmallFile) break;
    }
    ::close(fd);
    return text;
}

bool write_file_atomically(const std::string& dir, const std::string& name,
                           const std::string& content) {
    static std::atomic<unsigned> sequence{0};
    std::string temp = dir + "/." + name + "." + std::to_string(::getpid()) + "." +
                       std::to_string(sequence.fetch_add(1)) + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = write_all(fd, content);
    ok = ::close(fd) == 0 && ok;
    ok = ok && ::rename(temp.c_str(), (dir + "/" + name).c_str()) == 0;
    if (!ok) ::unlink(temp.c_str());
    return ok;
}

}  // namespace gentle

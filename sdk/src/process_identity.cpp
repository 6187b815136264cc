// Process identity from /proc, and following a runner on this machine (see process_identity.h).
#include "claude_jobs/process_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "claude_jobs/job_folder.h"

namespace claude_jobs {

namespace {

// A whole small /proc file; "" on failure. /proc/<pid>/stat is well under a page.
std::string read_proc_file(const std::string& path) {
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
            if (field == 19) {
                out.startTime = value;
                return true;
            }
            out.pgrp =
                negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
        }
    }
    return false;
}

std::optional<ProcStat> read_proc_stat(std::int64_t pid) {
    if (pid <= 0) return std::nullopt;
    std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    ProcStat stat;
    if (text.empty() || !parse_proc_stat(text.data(), text.size(), stat)) return std::nullopt;
    return stat;
}

std::string current_boot_id() {
    std::string id = read_proc_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
}

bool is_same_process(std::int64_t pid, std::uint64_t startTime) {
    auto stat = read_proc_stat(pid);
    return stat && is_running_state(stat->state) && stat->startTime == startTime;
}

bool signal_if_same(std::int64_t pid, std::uint64_t startTime, int sig) {
    if (pid <= 1) return false;  // never signal init, a group (0) or everyone (-1)
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd >= 0) {
        // The pidfd pins the process: checked now, it cannot turn into another one later.
        bool same = is_same_process(pid, startTime);
        bool sent = same && ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
        ::close(pidfd);
        return sent;
    }
    if (errno != ENOSYS) return false;  // ESRCH: it is gone
#endif
    return is_same_process(pid, startTime) && ::kill(static_cast<pid_t>(pid), sig) == 0;
}

Result<void> check_procfs(const std::string& who, const std::string& currentBootId) {
    if (currentBootId.empty() || !read_proc_stat(::getpid()))
        return make_error(ErrorCode::Unavailable,
                          who +
                              " follows its jobs through /proc, which is not readable here; "
                              "mount procfs");
    return {};
}

Result<void> check_runner(const std::string& runnerPath, const std::string& hint) {
    if (runnerPath.empty() || runnerPath.front() != '/')
        return make_error(
            ErrorCode::Unavailable,
            "no absolute path to claude-jobs-runner was given (\"" + runnerPath + "\"); " + hint);
    struct stat info {};
    if (::stat(runnerPath.c_str(), &info) != 0) {
        int error = errno;
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + runnerPath + ": " +
                              std::strerror(error) + "; " + hint,
                          error);
    }
    if (!S_ISREG(info.st_mode))
        return make_error(ErrorCode::Unavailable, "cannot run claude-jobs-runner at " + runnerPath +
                                                      ": not a regular file; " + hint);
    if (::access(runnerPath.c_str(), X_OK) != 0) {
        int error = errno;
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + runnerPath + ": " +
                              std::strerror(error) + "; make it executable (chmod +x " +
                              runnerPath + ")",
                          error);
    }
    return {};
}

bool started_before_reboot(const ProcessIdentity& process, const std::string& currentBootId) {
    return !process.bootId.empty() && !currentBootId.empty() && process.bootId != currentBootId;
}

JobStatus runner_status(const ProcessIdentity& runner, const std::string& currentBootId) {
    JobStatus status;
    bool rebooted = started_before_reboot(runner, currentBootId);
    if (!rebooted && is_same_process(runner.pid, runner.startTime)) return status;
    status.state = RunState::Lost;
    status.reason =
        "supervisor (pid " + std::to_string(runner.pid) + ") vanished without recording an exit";
    if (rebooted) status.reason += ": the machine was rebooted";
    return status;
}

void stop_runner(const ProcessIdentity& runner, const std::string& jobDir, int graceSec,
                 const std::string& currentBootId) {
    // Nothing started before a reboot can still be running.
    if (started_before_reboot(runner, currentBootId)) return;
    if (is_same_process(runner.pid, runner.startTime)) {
        // The request tells the runner the grace to give before SIGKILL. If it cannot be
        // written the runner still ends the job on SIGTERM, with its default grace: a cancel
        // must not fail over a file.
        job_folder::write_cancel_request(jobDir, graceSec);
        if (signal_if_same(runner.pid, runner.startTime, SIGTERM)) return;
        // It ended between the check and the signal; make sure its job did too.
    }
    kill_abandoned_job(jobDir);
}

void kill_abandoned_job(const std::string& jobDir) {
    job_folder::RunnerRecord record;
    if (!job_folder::read_runner_record(jobDir, record)) return;
    auto stat = read_proc_stat(record.childPid);
    if (!stat || stat->pgrp != record.childPgid) return;
    if (!is_same_process(record.childPid, record.childStartTime)) return;
    ::kill(-static_cast<pid_t>(record.childPgid), SIGKILL);
}

}  // namespace claude_jobs

// The double fork that detaches a job's supervisor (see launch.h). Between fork and exec only
// async-signal-safe calls are made: the server has other threads, and any lock they held at
// the fork (malloc's, a logger's) stays locked forever in the child.
#include "launch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "process_identity.h"

namespace cj::local_detached {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

// How long start() waits for the supervisor to be exec'd. Exec takes milliseconds; this only
// bounds a pathological case so that start() never hangs.
constexpr int kReportTimeoutMs = 5000;

// The descriptor the child reports on after it has rearranged its descriptors.
constexpr int kReportFd = 3;

// What the processes after fork tell start() through a CLOEXEC pipe. The pipe reaches EOF when
// the supervisor has been exec'd (or has given up), so start() knows exec's outcome.
enum Stage : std::int32_t {
    kStarted = 1,  // value = pid, extra = start time
    kForkFailed,
    kSetsidFailed,
    kDevNullFailed,
    kDescriptorsFailed,
    kExecFailed,
};

struct Report {
    std::int32_t stage;
    std::int32_t value;
    std::uint64_t extra;
};

void send_report(int fd, std::int32_t stage, std::int32_t value, std::uint64_t extra) noexcept {
    Report report{stage, value, extra};
    // Smaller than PIPE_BUF, so the write is atomic: it either happens whole or not at all.
    while (::write(fd, &report, sizeof report) < 0 && errno == EINTR) {
    }
}

[[noreturn]] void give_up(int fd, std::int32_t stage) noexcept {
    send_report(fd, stage, errno, 0);
    ::_exit(127);
}

pid_t fork_in_child() noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // _Fork skips the atfork handlers, which may take locks; fork() is not async-signal-safe
    // in a child of a multi-threaded process.
    return ::_Fork();
#else
    return ::fork();
#endif
}

std::uint64_t own_start_time() noexcept {
    char text[1024];
    int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n;
    do {
        n = ::read(fd, text, sizeof text);
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    ProcStat stat;
    return n > 0 && parse_proc_stat(text, static_cast<std::size_t>(n), stat) ? stat.startTime : 0;
}

struct LinuxDirent64 {
    std::uint64_t d_ino;
    std::int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
};

// Closes every descriptor >= first. close_range needs Linux 5.9; before that, /proc/self/fd is
// read with the raw syscall, because opendir allocates.
void close_descriptors_from(int first) noexcept {
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
    int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        alignas(8) char buffer[4096];
        for (;;) {
            long n = ::syscall(SYS_getdents64, dir, buffer, sizeof buffer);
            if (n <= 0) break;
            for (long offset = 0; offset < n;) {
                auto* entry = reinterpret_cast<LinuxDirent64*>(buffer + offset);
                int fd = 0;
                bool numeric = entry->d_name[0] != '\0';
                for (const char* c = entry->d_name; *c; ++c) {
                    if (*c < '0' || *c > '9') numeric = false;
                    if (numeric) fd = fd * 10 + (*c - '0');
                }
                if (numeric && fd >= first && fd != dir) ::close(fd);
                offset += entry->d_reclen;
            }
        }
        ::close(dir);
        return;
    }
    rlimit limit{};
    rlim_t max = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                     ? limit.rlim_cur
                     : 65536;
    for (rlim_t fd = static_cast<rlim_t>(first); fd < max; ++fd) ::close(static_cast<int>(fd));
}

// The supervisor's side: runs in the grandchild, never returns.
[[noreturn]] void become_supervisor(int reportFd, const char* program, char* const* argv,
                                    char* const* envp, int niceness) noexcept {
    // The server may block signals or ignore some (SIGPIPE); an ignored signal stays ignored
    // across exec, and the supervisor must be killable and see its child's SIGPIPE normally.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    ::sigemptyset(&defaults.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &defaults, nullptr);

    // Its own session: no controlling terminal, and the client's Ctrl-C or hangup, sent to the
    // server's process group, does not reach it.
    if (::setsid() < 0) give_up(reportFd, kSetsidFailed);

    // Keep the report pipe clear of 0-2, which are about to become /dev/null.
    int report = ::fcntl(reportFd, F_DUPFD_CLOEXEC, kReportFd);
    if (report < 0) give_up(reportFd, kDescriptorsFailed);
    // Never the server's stdio: its stdout is the protocol pipe.
    int devNull = ::open("/dev/null", O_RDWR);
    if (devNull < 0) give_up(report, kDevNullFailed);
    for (int fd = 0; fd <= 2; ++fd) {
        if (::dup2(devNull, fd) < 0) give_up(report, kDescriptorsFailed);
    }
    if (report != kReportFd) {
        if (::dup2(report, kReportFd) < 0) give_up(report, kDescriptorsFailed);
        report = kReportFd;
    }
    if (::fcntl(report, F_SETFD, FD_CLOEXEC) < 0) give_up(report, kDescriptorsFailed);
    // Everything else the server had open, whether or not it set CLOEXEC.
    close_descriptors_from(kReportFd + 1);

    if (niceness > 0) ::setpriority(PRIO_PROCESS, 0, niceness);  // a nicety: failure is fine
    // Do not pin the server's working directory (an unmount, a deleted folder); the supervisor
    // is told where to run with --cwd.
    [[maybe_unused]] int ignored = ::chdir("/");

    send_report(report, kStarted, static_cast<std::int32_t>(::getpid()), own_start_time());
    ::execve(program, argv, envp);
    give_up(report, kExecFailed);
}

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    pointers.reserve(items.size() + 1);
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

std::string errno_text(int error) {
    return std::strerror(error);
}

}  // namespace

claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env, int niceness) {
    // Everything the children need is prepared now: after fork they may not allocate.
    std::vector<char*> argvPointers = to_pointers(argv);
    std::vector<char*> envPointers = to_pointers(env);

    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0) {
        int error = errno;
        return make_error(ErrorCode::Internal,
                          "cannot start the job's supervisor: pipe: " + errno_text(error), error,
                          error == EMFILE || error == ENFILE);
    }
    pid_t middle = ::fork();
    if (middle < 0) {
        int error = errno;
        ::close(pipeFds[0]);
        ::close(pipeFds[1]);
        return make_error(ErrorCode::Internal,
                          "cannot start the job's supervisor: fork: " + errno_text(error), error,
                          error == EAGAIN || error == ENOMEM);
    }
    if (middle == 0) {
        // The intermediate child exists only so that the supervisor is not the server's child:
        // it forks once more and exits, and the supervisor is reparented.
        ::close(pipeFds[0]);
        pid_t supervisor = fork_in_child();
        if (supervisor < 0) give_up(pipeFds[1], kForkFailed);
        if (supervisor == 0) {
            become_supervisor(pipeFds[1], program.c_str(), argvPointers.data(), envPointers.data(),
                              niceness);
        }
        ::_exit(0);
    }
    ::close(pipeFds[1]);
    int waitStatus = 0;
    // Retried on EINTR; ECHILD (SIGCHLD ignored by the server) means it was reaped already.
    while (::waitpid(middle, &waitStatus, 0) < 0 && errno == EINTR) {
    }

    Report started{};
    Report failure{};
    char buffer[sizeof(Report) * 4];
    std::size_t filled = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReportTimeoutMs);
    bool timedOut = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            timedOut = true;
            break;
        }
        pollfd waitFor{pipeFds[0], POLLIN, 0};
        int ready = ::poll(&waitFor, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // the deadline check above ends the loop
        ssize_t n = ::read(pipeFds[0], buffer + filled, sizeof buffer - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF: exec succeeded (CLOEXEC) or the child gave up
        filled += static_cast<std::size_t>(n);
        while (filled >= sizeof(Report)) {
            Report report;
            std::memcpy(&report, buffer, sizeof report);
            std::memmove(buffer, buffer + sizeof report, filled - sizeof report);
            filled -= sizeof report;
            (report.stage == kStarted ? started : failure) = report;
        }
    }
    ::close(pipeFds[0]);

    if (failure.stage != 0) {
        int error = failure.value;
        switch (failure.stage) {
            case kExecFailed:
                return make_error(
                    ErrorCode::Unavailable,
                    "cannot run claude-jobs-runner at " + program + ": " + errno_text(error),
                    error);
            case kForkFailed:
                return make_error(ErrorCode::Internal,
                                  "cannot start the job's supervisor: fork: " + errno_text(error),
                                  error, error == EAGAIN || error == ENOMEM);
            case kSetsidFailed:
                return make_error(
                    ErrorCode::Internal,
                    "cannot detach the job's supervisor: setsid: " + errno_text(error), error);
            case kDevNullFailed:
                return make_error(
                    ErrorCode::Internal,
                    "cannot open /dev/null for the job's supervisor: " + errno_text(error), error);
            default:
                return make_error(
                    ErrorCode::Internal,
                    "cannot set up the job's supervisor's descriptors: " + errno_text(error),
                    error);
        }
    }
    if (started.stage != kStarted) {
        return make_error(ErrorCode::Internal,
                          timedOut ? "the job's supervisor did not start within 5 s"
                                   : "the job's supervisor ended before it could start");
    }
    // A timeout after the start report means exec is merely slow; the supervisor exists.
    return Launched{static_cast<pid_t>(started.value), started.extra};
}

}  // namespace cj::local_detached

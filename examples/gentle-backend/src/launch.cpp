// Launching with priorities and limits (see launch.h). posix_spawn cannot lower a priority or
// set a limit in the child, so this forks; between fork and exec the children make only
// async-signal-safe system calls, with everything they need prepared beforehand.
//
// Three processes: the caller, an intermediate child that starts a new session and forks the
// supervisor, and the supervisor itself. The supervisor reports through a close-on-exec pipe
// (EOF = exec succeeded, a Failure record = it did not), and waits on a second pipe until the
// caller has read its start time, so its identity is taken while it certainly exists.
#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <claude_jobs/process_identity.h>

namespace gentle {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

// linux/ioprio.h, which not every libc exposes.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioClassBestEffort = 2;
constexpr int kIoprioClassIdle = 3;

enum Stage : int {
    kSetsid = 1,
    kNice,
    kIoprio,
    kRlimitAs,
    kRlimitCpu,
    kRlimitNofile,
    kExec,
    kFork
};

const char* stage_name(int stage) {
    switch (stage) {
        case kSetsid:
            return "start a session";
        case kNice:
            return "lower the CPU priority (setpriority)";
        case kIoprio:
            return "lower the I/O priority (ioprio_set)";
        case kRlimitAs:
            return "set the memory limit (RLIMIT_AS)";
        case kRlimitCpu:
            return "set the CPU time limit (RLIMIT_CPU)";
        case kRlimitNofile:
            return "set the open-files limit (RLIMIT_NOFILE)";
        case kExec:
            return "run claude-jobs-runner";
        case kFork:
            return "create the supervisor process";
    }
    return "launch";
}

// What the children report through the pipe: the intermediate one the supervisor's pid (or
// why it could not make it), the supervisor why it could not exec.
struct Report {
    int stage = 0;  // 0: no failure
    int error = 0;
    pid_t pid = 0;
};

// What the children need, computed before fork (nothing may be allocated after it).
struct Plan {
    const char* program;
    char* const* argv;
    char* const* envp;
    int niceness;  // the supervisor's niceness; only set when above the caller's
    int callerNiceness;
    int ioprio;
    rlim_t memoryBytes;  // 0 = leave as is
    rlim_t cpuSeconds;
    rlim_t openFiles;
};

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

void write_all_raw(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

bool read_all_raw(int fd, void* data, std::size_t size) {
    char* p = static_cast<char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

[[noreturn]] void fail(int reportFd, int stage) {
    Report report{stage, errno, 0};
    write_all_raw(reportFd, &report, sizeof report);
    ::_exit(127);
}

// getpriority() may return -1 as a value, so errno tells the error apart.
int caller_niceness() {
    errno = 0;
    int niceness = ::getpriority(PRIO_PROCESS, 0);
    return errno == 0 ? niceness : 0;
}

bool set_limit(int resource, rlim_t value) {
    struct rlimit limit {
        value, value
    };
    return ::setrlimit(resource, &limit) == 0;
}

// Closes every descriptor from `from` on except `keep`.
void close_others(int from, int keep) {
    if (keep > from && ::syscall(SYS_close_range, from, keep - 1, 0) != 0) {
        for (int fd = from; fd < keep; ++fd) ::close(fd);
    }
    if (::syscall(SYS_close_range, keep + 1, ~0U, 0) != 0) {
        long max = ::sysconf(_SC_OPEN_MAX);
        for (int fd = keep + 1; fd < (max > 0 ? max : 1024); ++fd) ::close(fd);
    }
}

// The supervisor's side, from fork to exec.
[[noreturn]] void become_supervisor(const Plan& plan, int reportFd, int goFd) {
    char go = 0;
    while (::read(goFd, &go, 1) < 0 && errno == EINTR) {
    }
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
    }
    close_others(3, reportFd);  // reportFd is close-on-exec: it closes at exec
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored signals would stay ignored across exec (the server ignores SIGPIPE).
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &defaults, nullptr);
    if (::chdir("/") != 0) {
        // Harmless: the runner changes to the job's work folder itself.
    }
    errno = 0;
    if (plan.niceness > plan.callerNiceness && ::setpriority(PRIO_PROCESS, 0, plan.niceness) != 0)
        fail(reportFd, kNice);
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, plan.ioprio) != 0) fail(reportFd, kIoprio);
    if (plan.memoryBytes && !set_limit(RLIMIT_AS, plan.memoryBytes)) fail(reportFd, kRlimitAs);
    if (plan.cpuSeconds && !set_limit(RLIMIT_CPU, plan.cpuSeconds)) fail(reportFd, kRlimitCpu);
    if (plan.openFiles && !set_limit(RLIMIT_NOFILE, plan.openFiles)) fail(reportFd, kRlimitNofile);
    ::execve(plan.program, plan.argv, plan.envp);
    fail(reportFd, kExec);
}

}  // namespace

claude_jobs::Result<Launched> launch_gently(const std::string& program,
                                            const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env,
                                            const Settings& settings) {
    std::vector<char*> argvPointers = to_pointers(argv);
    std::vector<char*> envPointers = to_pointers(env);
    int ioClass = settings.ioClass == IoClass::Idle ? kIoprioClassIdle : kIoprioClassBestEffort;
    int ioLevel = settings.ioClass == IoClass::Idle ? 0 : settings.ioLevel;
    Plan plan{program.c_str(),
              argvPointers.data(),
              envPointers.data(),
              settings.niceness,
              caller_niceness(),
              (ioClass << kIoprioClassShift) | ioLevel,
              static_cast<rlim_t>(settings.memoryMB) * 1024 * 1024,
              static_cast<rlim_t>(settings.cpuSeconds),
              static_cast<rlim_t>(settings.openFiles)};

    int report[2], go[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        return make_error(ErrorCode::Internal, std::string("pipe: ") + std::strerror(errno), errno);
    }
    if (::pipe2(go, O_CLOEXEC) != 0) {
        int error = errno;
        ::close(report[0]);
        ::close(report[1]);
        return make_error(ErrorCode::Internal, std::string("pipe: ") + std::strerror(error), error);
    }
    pid_t middle = ::fork();
    if (middle == 0) {
        ::close(report[0]);
        ::close(go[1]);
        if (::setsid() < 0) fail(report[1], kSetsid);
        pid_t supervisor = ::fork();
        if (supervisor == 0) become_supervisor(plan, report[1], go[0]);
        if (supervisor < 0) fail(report[1], kFork);
        Report started{0, 0, supervisor};
        write_all_raw(report[1], &started, sizeof started);
        ::_exit(0);
    }
    int forkError = errno;
    ::close(report[1]);
    ::close(go[0]);
    Report failure;
    Launched identity;
    if (middle < 0) {
        failure = {kFork, forkError, 0};
    } else {
        Report started;
        if (!read_all_raw(report[0], &started, sizeof started)) {
            failure = {kFork, EIO, 0};
        } else if (started.stage != 0) {
            failure = started;
        } else {
            // The supervisor waits for the go byte, so it exists while its start time is read.
            identity.pid = started.pid;
            if (auto stat = claude_jobs::read_proc_stat(started.pid))
                identity.startTime = stat->startTime;
            char byte = 1;
            write_all_raw(go[1], &byte, 1);
            // EOF: the close-on-exec pipe closed, the exec happened. Else: why not.
            if (!read_all_raw(report[0], &failure, sizeof failure)) failure = {};
        }
        while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    ::close(report[0]);
    ::close(go[1]);

    if (failure.stage != 0) {
        return make_error(ErrorCode::Unavailable,
                          std::string("gentle: cannot ") + stage_name(failure.stage) + " for " +
                              program + ": " + std::strerror(failure.error),
                          failure.error, failure.error == EAGAIN);
    }
    if (identity.startTime == 0) {
        return make_error(ErrorCode::Internal, "gentle: the supervisor (pid " +
                                                   std::to_string(identity.pid) +
                                                   ") could not be identified in /proc");
    }
    return identity;
}

}  // namespace gentle

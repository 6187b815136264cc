// fork/exec of the job's program (see child.h). Between fork and exec only async-signal-safe
// calls are made: everything the child needs is prepared before fork.
#include "runner/child.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

namespace cj::runner {

namespace {

struct ChildReport {
    int stage;
    int error;
};

[[noreturn]] void report_and_exit(int pipeFd, LaunchStage stage) {
    ChildReport report{static_cast<int>(stage), errno};
    // A pipe write this small is atomic; nothing useful can be done if it fails.
    while (::write(pipeFd, &report, sizeof report) < 0 && errno == EINTR) {
    }
    ::_exit(127);
}

void close_range_or_loop(unsigned first, unsigned last, int maxFd) {
    if (first > last) return;
    if (::close_range(first, last, 0) == 0) return;
    // close_range needs Linux 5.9; older kernels: walk /proc/self/fd without malloc.
    int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        alignas(dirent64) char buf[4096];
        for (;;) {
            long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
            if (n <= 0) break;
            for (long off = 0; off < n;) {
                auto* entry = reinterpret_cast<dirent64*>(buf + off);
                off += entry->d_reclen;
                long fd = 0;
                const char* p = entry->d_name;
                if (*p < '0' || *p > '9') continue;  // "." and ".."
                while (*p >= '0' && *p <= '9') fd = fd * 10 + (*p++ - '0');
                if (fd != dir && fd >= first && fd <= last) ::close(static_cast<int>(fd));
            }
        }
        ::close(dir);
        return;
    }
    // No /proc either: try every possible number.
    for (long fd = first; fd <= last && fd < maxFd; ++fd) ::close(static_cast<int>(fd));
}

void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    // Ignored signals survive exec; the job must not inherit the runner's SIGPIPE-ignore.
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void run_child(int workFolderFd, char* const* argv, const ChildStdio& stdio,
                            int reportFd, int maxFd) {
    ::setpgid(0, 0);
    if (stdio.foreground) {
        // A process outside the foreground group is stopped by SIGTTOU when it takes the
        // terminal, unless it ignores the signal; reset_signals() restores it below.
        ::signal(SIGTTOU, SIG_IGN);
        ::tcsetpgrp(stdio.in, ::getpid());
    }
    if (workFolderFd >= 0 && ::fchdir(workFolderFd) != 0)
        report_and_exit(reportFd, LaunchStage::Chdir);
    // The runner made sure 0-2 were taken before opening anything, so none of these
    // descriptors is itself 0, 1 or 2 and no dup2 can clobber another.
    if (::dup2(stdio.in, 0) < 0 || ::dup2(stdio.out, 1) < 0 || ::dup2(stdio.err, 2) < 0) {
        report_and_exit(reportFd, LaunchStage::Stdio);
    }
    close_descriptors_from_3(reportFd, maxFd);
    reset_signals();
    ::execvp(argv[0], argv);
    report_and_exit(reportFd, LaunchStage::Exec);
}

}  // namespace

int fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur > INT_MAX) {
        return 1 << 20;
    }
    return static_cast<int>(limit.rlim_cur);
}

void close_descriptors_from_3(int keep, int maxFd) {
    if (keep < 3) {
        close_range_or_loop(3, ~0U, maxFd);
        return;
    }
    close_range_or_loop(3, static_cast<unsigned>(keep) - 1, maxFd);
    close_range_or_loop(static_cast<unsigned>(keep) + 1, ~0U, maxFd);
}

LaunchResult launch_child(const Options& options, const ChildStdio& stdio, int workFolderFd) {
    std::vector<char*> argv;
    for (const auto& arg : options.command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    int maxFd = fd_limit();

    // The child's report pipe: close-on-exec, so a successful exec reads as end of file.
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return {-1, LaunchStage::Pipe, errno};

    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        ::close(report[0]);
        ::close(report[1]);
        return {-1, LaunchStage::Fork, err};
    }
    if (pid == 0) {
        ::close(report[0]);
        run_child(workFolderFd, argv.data(), stdio, report[1], maxFd);
    }
    ::close(report[1]);
    // Also set here: whoever runs first, the group exists before the runner signals it.
    ::setpgid(pid, pid);

    ChildReport failure{};
    ssize_t n;
    do {
        n = ::read(report[0], &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    // End of file means exec closed the pipe. A failed read says nothing either way; treating
    // it as a launch keeps the supervisor in charge of the child rather than blocking on it.
    if (n <= 0) return {pid, LaunchStage::None, 0};

    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof failure)) return {-1, LaunchStage::Exec, EIO};
    return {-1, static_cast<LaunchStage>(failure.stage), failure.error};
}

}  // namespace cj::runner

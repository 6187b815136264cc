// Starting a job's supervisor detached (see launch.h). The server is large and
// multi-threaded, so it never forks itself: posix_spawn (a vfork-style clone that returns
// once the exec has happened) starts claude-jobs-runner with --detach-report-fd, and the
// runner — small and single-threaded — forks, lets the spawned process exit, leads a new
// session, and reports its pid and start time through a pipe.
#include "launch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace cj::local_detached {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

// How long start() waits for the supervisor's report. It takes milliseconds; this only
// bounds a pathological case so that start() never hangs.
constexpr int kReportTimeoutMs = 5000;
// The descriptor the runner reports on (any number above 2 would do).
constexpr int kReportFd = 3;

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    pointers.reserve(items.size() + 1);
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

std::string errno_text(int error) { return std::strerror(error); }

// Owns what posix_spawn needs, released on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
};

// Reads the report until EOF (the runner closes it) or the deadline.
std::string read_report(int fd) {
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReportTimeoutMs);
    char buffer[128];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) break;
        pollfd waitFor{fd, POLLIN, 0};
        int ready = ::poll(&waitFor, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // the deadline check above ends the loop
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 256) break;  // a report is one short line
    }
    return text;
}

}  // namespace

claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env, int niceness) {
    std::vector<std::string> args = {argv.empty() ? program : argv[0], "--detach-report-fd",
                                     std::to_string(kReportFd)};
    if (niceness > 0) args.insert(args.end(), {"--nice", std::to_string(niceness)});
    if (argv.size() > 1) args.insert(args.end(), argv.begin() + 1, argv.end());
    std::vector<char*> argvPointers = to_pointers(args);
    std::vector<char*> envPointers = to_pointers(env);

    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) < 0) {
        int error = errno;
        return make_error(ErrorCode::Internal,
                          "cannot start the job's supervisor: pipe: " + errno_text(error), error,
                          error == EMFILE || error == ENFILE);
    }
    // dup2 onto the same number would leave CLOEXEC set: keep the write end off kReportFd.
    if (pipeFds[1] == kReportFd) {
        int moved = ::fcntl(pipeFds[1], F_DUPFD_CLOEXEC, kReportFd + 1);
        ::close(pipeFds[1]);
        pipeFds[1] = moved;
    }

    SpawnSetup setup;
    // Never the server's stdio: its stdout is the protocol pipe.
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, pipeFds[1], kReportFd);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Everything else the server had open, CLOEXEC or not (the runner closes them too).
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, kReportFd + 1);
#endif
    // Do not pin the server's working directory; the supervisor is told where to run.
    posix_spawn_file_actions_addchdir_np(&setup.actions, "/");
    // Default dispositions and an empty mask: the server ignores SIGPIPE, and an ignored
    // signal would stay ignored across exec.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup.attributes, &none);
    posix_spawnattr_setsigdefault(&setup.attributes, &all);
    posix_spawnattr_setflags(&setup.attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t spawned = -1;
    int rc = ::posix_spawn(&spawned, program.c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), envPointers.data());
    ::close(pipeFds[1]);
    if (rc != 0) {
        ::close(pipeFds[0]);
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + program + ": " + errno_text(rc),
                          rc);
    }
    std::string report = read_report(pipeFds[0]);
    ::close(pipeFds[0]);
    long long pid = 0;
    unsigned long long startTime = 0;
    int error = 0;
    bool reported = std::sscanf(report.c_str(), "%lld %llu", &pid, &startTime) == 2 && pid > 1;
    // The spawned process exits as soon as it has forked the supervisor: reap it. Without a
    // report it may be stuck, or a runner that does not detach: end it rather than wait on
    // it (its job is recorded as failed). Retried on EINTR; ECHILD (SIGCHLD ignored by the
    // server) means it was reaped already.
    if (!reported) ::kill(spawned, SIGKILL);
    int waitStatus = 0;
    while (::waitpid(spawned, &waitStatus, 0) < 0 && errno == EINTR) {
    }

    if (std::sscanf(report.c_str(), "error %d", &error) == 1) {
        return make_error(ErrorCode::Internal,
                          "cannot start the job's supervisor: fork: " + errno_text(error), error,
                          error == EAGAIN || error == ENOMEM);
    }
    if (!reported) {
        return make_error(ErrorCode::Internal,
                          report.empty()
                              ? "the job's supervisor did not report its start within 5 s"
                              : "the job's supervisor sent a report this claude-jobs cannot read: " +
                                    report.substr(0, 80));
    }
    return Launched{static_cast<pid_t>(pid), startTime};
}

}  // namespace cj::local_detached

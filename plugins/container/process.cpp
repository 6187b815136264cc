// Runtime commands (see process.h).
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/spawn.h"

extern char** environ;

namespace cj::container {

namespace {

using cj::plugin_common::SpawnSetup;
using cj::plugin_common::to_pointers;

constexpr std::size_t kMaxCapturedBytes = 4 * 1024 * 1024;

std::int64_t ms_left(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : left.count();
}

void drain(int& fd, std::string& into) {
    char buffer[8192];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        ::close(fd);
        fd = -1;
        return;
    }
    if (into.size() < kMaxCapturedBytes) into.append(buffer, static_cast<std::size_t>(n));
}

}  // namespace

CommandOutput run_captured(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
    CommandOutput result;
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0) {
        result.spawnError = errno;
        return result;
    }
    if (::pipe2(errPipe, O_CLOEXEC) != 0) {
        result.spawnError = errno;
        ::close(outPipe[0]);
        ::close(outPipe[1]);
        return result;
    }
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&setup.actions, errPipe[1], 2);
    setup.close_from_3();
    setup.default_signals(/*newSession=*/false);
    std::vector<char*> args = to_pointers(argv);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, args.data(),
                           environ);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        result.spawnError = rc;
        return result;
    }
    result.started = true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int out = outPipe[0], err = errPipe[0];
    while (out >= 0 || err >= 0) {
        pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
        int left = static_cast<int>(ms_left(deadline));
        int n = ::poll(fds, 2, left);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || left == 0) {
            result.timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (out >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) drain(out, result.out);
        if (err >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) drain(err, result.err);
    }
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    return result;
}

bool BackgroundCommands::start(const std::vector<std::string>& argv) {
    SpawnSetup setup;
    // Its own session: no terminal signal sent to the server's group reaches the cleanup.
    setup.detach();
    std::vector<char*> args = to_pointers(argv);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, args.data(),
                           environ);
    if (rc != 0) {
        errno = rc;
        return false;
    }
    reaper_.adopt(pid);
    return true;
}

bool BackgroundCommands::wait_idle(std::chrono::milliseconds timeout) {
    return reaper_.wait_idle(timeout);
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    return cj::plugin_common::find_program(name, path ? path : "/usr/local/bin:/usr/bin:/bin");
}

}  // namespace cj::container

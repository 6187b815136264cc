// Runtime commands (see process.h).
#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace cj::container {

namespace {

constexpr std::size_t kMaxCapturedBytes = 4 * 1024 * 1024;
constexpr auto kReapInterval = std::chrono::milliseconds(500);

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    pointers.reserve(items.size() + 1);
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
        // Default dispositions and mask: the server ignores SIGPIPE, which would survive exec.
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setsigdefault(&attributes, &all);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
    void close_rest() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
        posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    }
};

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
    setup.close_rest();
    posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
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

BackgroundCommands::~BackgroundCommands() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool BackgroundCommands::start(const std::vector<std::string>& argv) {
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 2, "/dev/null", O_WRONLY, 0);
    setup.close_rest();
    posix_spawn_file_actions_addchdir_np(&setup.actions, "/");
    // Its own session: no terminal signal sent to the server's group reaches the cleanup.
    posix_spawnattr_setflags(&setup.attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args = to_pointers(argv);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, args.data(),
                           environ);
    if (rc != 0) {
        errno = rc;
        return false;
    }
    std::lock_guard lock(mutex_);
    children_.push_back(pid);
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    wake_.notify_all();
    return true;
}

bool BackgroundCommands::wait_idle(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            std::erase_if(children_, [](pid_t pid) {
                int status = 0;
                pid_t r = ::waitpid(pid, &status, WNOHANG);
                return r == pid || (r < 0 && errno != EINTR);
            });
            if (children_.empty()) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void BackgroundCommands::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait(lock, [this] { return stopping_ || !children_.empty(); });
        if (stopping_) break;
        wake_.wait_for(lock, kReapInterval, [this] { return stopping_; });
        std::erase_if(children_, [](pid_t pid) {
            int status = 0;
            pid_t r = ::waitpid(pid, &status, WNOHANG);
            return r == pid || (r < 0 && errno != EINTR);
        });
    }
}

std::string find_program(const std::string& name) {
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t begin = 0;
    while (begin <= dirs.size()) {
        std::size_t end = dirs.find(':', begin);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(begin, end - begin);
        if (!dir.empty()) {
            std::string candidate = dir + "/" + name;
            struct stat info {};
            if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
                ::access(candidate.c_str(), X_OK) == 0)
                return candidate;
        }
        begin = end + 1;
    }
    return "";
}

}  // namespace cj::container

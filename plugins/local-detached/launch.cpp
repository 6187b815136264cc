// Starting a job's supervisor (see launch.h). The server is large and multi-threaded, so it
// never forks itself: posix_spawn is a vfork-style clone that returns once the exec has
// happened, and does in the child only what the attributes below ask for.
#include "launch.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/process_identity.h"

namespace cj::local_detached {

namespace {

using claude_jobs::ErrorCode;
using cj::plugin_common::read_proc_stat;
using claude_jobs::make_error;

constexpr auto kReapInterval = std::chrono::seconds(1);

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    pointers.reserve(items.size() + 1);
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

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

}  // namespace

ChildReaper::~ChildReaper() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ChildReaper::adopt(pid_t pid) {
    std::lock_guard lock(mutex_);
    children_.push_back(pid);
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    wake_.notify_all();
}

void ChildReaper::reap() {
    std::lock_guard lock(mutex_);
    std::erase_if(children_, [](pid_t pid) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        // Reaped, or not ours to wait for any more (ECHILD: SIGCHLD ignored, or reaped).
        return r == pid || (r < 0 && errno != EINTR);
    });
}

void ChildReaper::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait(lock, [this] { return stopping_ || !children_.empty(); });
        if (stopping_) break;
        wake_.wait_for(lock, kReapInterval, [this] { return stopping_; });
        lock.unlock();
        reap();
        lock.lock();
    }
}

claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              ChildReaper& reaper) {
    std::vector<char*> argvPointers = to_pointers(argv);
    std::vector<char*> envPointers = to_pointers(env);

    SpawnSetup setup;
    // Never the server's stdio: its stdout is the protocol pipe.
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Everything else the server had open, CLOEXEC or not (the runner closes them too).
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
    // Do not pin the server's working directory; the supervisor is told where to run.
    posix_spawn_file_actions_addchdir_np(&setup.actions, "/");
    // Default dispositions and an empty mask: the server ignores SIGPIPE, and an ignored
    // signal would stay ignored across exec. Its own session: no terminal's hangup or
    // Ctrl-C, sent to the server's group, reaches it.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup.attributes, &none);
    posix_spawnattr_setsigdefault(&setup.attributes, &all);
    posix_spawnattr_setflags(&setup.attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), envPointers.data());
    if (rc != 0) {
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + program + ": " + std::strerror(rc),
                          rc, rc == EAGAIN || rc == ENOMEM);
    }
    reaper.adopt(pid);
    // Read while the process is certainly there: it is our child, so even after an exit its
    // pid stays reserved (a zombie) until the reaper collects it.
    auto stat = read_proc_stat(pid);
    if (!stat) {
        return make_error(ErrorCode::Internal,
                          "the job's supervisor (pid " + std::to_string(pid) +
                              ") vanished before it could be identified");
    }
    return Launched{pid, stat->startTime};
}

}  // namespace cj::local_detached

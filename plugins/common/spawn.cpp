// Spawning, the child reaper and PATH lookup (see spawn.h).
#include "common/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace cj::plugin_common {

std::vector<char*> to_pointers(const std::vector<std::string>& items) {
    std::vector<char*> pointers;
    pointers.reserve(items.size() + 1);
    for (const auto& item : items) pointers.push_back(const_cast<char*>(item.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

SpawnSetup::SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
}

SpawnSetup::~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
}

void SpawnSetup::default_signals(bool newSession) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (newSession) flags |= POSIX_SPAWN_SETSID;
    posix_spawnattr_setflags(&attributes, flags);
}

void SpawnSetup::close_from_3() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
}

void SpawnSetup::detach() {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    close_from_3();
    posix_spawn_file_actions_addchdir_np(&actions, "/");
    default_signals(/*newSession=*/true);
}

pid_t spawn_detached(const std::vector<std::string>& argv,
                     const std::optional<std::vector<std::string>>& env) {
    if (argv.empty()) {
        errno = ENOENT;
        return -1;
    }
    std::vector<char*> argvPointers = to_pointers(argv);
    std::vector<char*> envPointers;
    if (env) envPointers = to_pointers(*env);
    SpawnSetup setup;
    setup.detach();
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), env ? envPointers.data() : environ);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

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

bool ChildReaper::wait_idle(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        reap();
        {
            std::lock_guard lock(mutex_);
            if (children_.empty()) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void ChildReaper::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait(lock, [this] { return stopping_ || !children_.empty(); });
        if (stopping_) break;
        wake_.wait_for(lock, interval_, [this] { return stopping_; });
        lock.unlock();
        reap();
        lock.lock();
    }
}

bool executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

std::string find_program(const std::string& name, const std::string& dirs) {
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return executable_file(name) ? name : "";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        if (!dir.empty() && dir.front() == '/') {
            std::string candidate = dir + "/" + name;
            if (executable_file(candidate)) return candidate;
        }
        start = end + 1;
    }
    return "";
}

std::string path_in(const std::vector<std::string>& env, const std::string& fallback) {
    std::string path = fallback;
    for (const auto& entry : env)
        if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
    return path;
}

}  // namespace cj::plugin_common

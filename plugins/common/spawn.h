// The process seam of the backends and the command line (with command.h, which runs a command
// to its end and captures its output): starting programs without a shell and without handing
// on anything of the server's — argument vectors for posix_spawn, the attributes every spawn
// sets (default signal handling, optionally a session of its own, no inherited descriptor), a
// detached start, a reaper for children that outlive the call that started them, and PATH
// lookup.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cj::plugin_common {

// items as the NULL-terminated char* array posix_spawn takes; valid while items lives.
std::vector<char*> to_pointers(const std::vector<std::string>& items);

// Owns what posix_spawn needs, released on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    SpawnSetup();
    ~SpawnSetup();
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    // Default dispositions and an empty signal mask in the child: the server ignores SIGPIPE,
    // and an ignored signal would stay ignored across exec. With newSession, a session of its
    // own as well, so no terminal's hangup or Ctrl-C sent to the server's group reaches it.
    void default_signals(bool newSession);
    // Closes every descriptor from 3 up in the child, CLOEXEC or not (glibc 2.34 and later;
    // before that only CLOEXEC ones close, which is all the server opens).
    void close_from_3();
    // All of the above for a program that outlives the call that starts it: stdin, stdout and
    // stderr on /dev/null (never the server's: its stdout is the protocol pipe), no other
    // descriptor, working folder "/" (the server's is not pinned), default signal handling,
    // a session of its own.
    void detach();
};

// Starts argv[0] (a path) with argv and env ("NAME=value"; nullopt: this process's
// environment), detached as SpawnSetup::detach() says, and returns its pid once the program
// has been exec'd. The caller reaps it (a ChildReaper). -1 with errno set when it could not be
// started.
pid_t spawn_detached(const std::vector<std::string>& argv,
                     const std::optional<std::vector<std::string>>& env = std::nullopt);

// Waits for children this process started and will not wait for itself, on a thread of its
// own that runs only while there are some, every `interval`. Thread-safe.
class ChildReaper {
  public:
    explicit ChildReaper(std::chrono::milliseconds interval) : interval_(interval) {}
    ~ChildReaper();
    ChildReaper(const ChildReaper&) = delete;
    ChildReaper& operator=(const ChildReaper&) = delete;

    void adopt(pid_t pid);
    // Collects whichever have exited, now; the thread does the same on its own.
    void reap();
    // Reaps until every child adopted so far has ended, at most `timeout`; false if some
    // still run.
    bool wait_idle(std::chrono::milliseconds timeout);

  private:
    void loop();

    const std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<pid_t> children_;
    bool stopping_ = false;
    std::thread thread_;
};

// A regular file this process may execute.
bool executable_file(const std::string& path);

// The first executable file called `name` in the folders of `dirs` (a PATH value; relative
// folders are skipped), or name itself when it holds a '/' and is executable; "" when none.
std::string find_program(const std::string& name, const std::string& dirs);

// The value of PATH among env's "NAME=value" entries (the last one wins); fallback when it has
// none.
std::string path_in(const std::vector<std::string>& env, const std::string& fallback);

}  // namespace cj::plugin_common

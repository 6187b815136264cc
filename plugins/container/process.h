// Running the container runtime's commands: always an argument vector through posix_spawn,
// never a shell, stdin on /dev/null, nothing of the server's inherited (its stdout is the
// protocol pipe).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/spawn.h"

namespace cj::container {

struct CommandOutput {
    bool started = false;  // false: the program could not be run (spawnError says why)
    int spawnError = 0;
    bool timedOut = false;  // killed after the timeout
    int exitCode = -1;      // when it exited
    std::string out;
    std::string err;
};

// Runs argv[0] (a path) with the server's environment and waits for it, at most `timeout`
// (then SIGKILL). Output is capped at a few MiB per stream. Thread-safe.
CommandOutput run_captured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// Commands that run on after the call that started them returns (stopping or removing a
// container): started at once, in a session of their own, so that they outlive the server if
// it exits next; reaped by a thread of this object while the server lives. Thread-safe.
class BackgroundCommands {
  public:
    BackgroundCommands() = default;
    BackgroundCommands(const BackgroundCommands&) = delete;
    BackgroundCommands& operator=(const BackgroundCommands&) = delete;

    // Starts argv[0] (a path) with the server's environment, stdio on /dev/null. Returns
    // false (errno set) if it could not be started.
    bool start(const std::vector<std::string>& argv);

    // Waits (bounded) until every command started so far has ended; for tests and shutdown.
    bool wait_idle(std::chrono::milliseconds timeout);

  private:
    cj::plugin_common::ChildReaper reaper_{std::chrono::milliseconds(500)};
};

// Where `name` is found in the absolute folders of PATH ("" when it is not), or name itself
// when it holds a '/'.
std::string find_program(const std::string& name);

}  // namespace cj::container

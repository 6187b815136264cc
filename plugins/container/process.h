// The container runtime's commands, through the process seam (common/command.h,
// common/spawn.h): always an argument vector, never a shell, stdin on /dev/null, nothing of
// the server's inherited (its stdout is the protocol pipe), the server's environment.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/command.h"
#include "common/spawn.h"

namespace cj::container {

using cj::plugin_common::CommandOutput;

// Runs argv[0] (a path) and waits for it, at most `timeout` (then SIGKILL). Output is capped at
// a few MiB per stream (an `inspect` of many containers is long). Thread-safe.
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
// when it holds a '/' (health() then says plainly when it cannot be run).
std::string find_program(const std::string& name);

}  // namespace cj::container

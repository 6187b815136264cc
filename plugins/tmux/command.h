// Running a short command (a tmux client) from an argument vector, never through a shell:
// its stdin fed from a string, its stdout and stderr captured, bounded in time. Used for
// every tmux command the backend sends.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::tmux {

struct CommandOutput {
    int exitCode = -1;  // -1 when killed by a signal (or by the time limit)
    std::string out;
    std::string err;
};

// Runs argv[0] (an absolute path) with argv and exactly env, in "/", with no descriptor of
// ours but the three pipes. Waits at most `limit`, then kills it. Errors: Unavailable when
// it cannot be started, Internal when it ran past the limit.
claude_jobs::Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                               const std::vector<std::string>& env,
                                               const std::string& input,
                                               std::chrono::milliseconds limit);

// The first executable called `name` in the PATH of env ("NAME=value" entries), or name
// itself when it holds a '/' and is executable; "" when none.
std::string find_program(const std::string& name, const std::vector<std::string>& env);

}  // namespace cj::tmux

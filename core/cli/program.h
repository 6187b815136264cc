// Running another program from the command line (claude --version, claude mcp add): from an
// argument vector, never a shell, with its output captured and a time limit.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::cli {

struct ProgramResult {
    int exitCode = -1;  // -1 when killed by a signal or the time limit
    bool timedOut = false;
    std::string output;  // stdout and stderr together, at most 64 KiB
};

// Runs argv[0] (searched in PATH when it has no '/') with stdin on /dev/null. The program is
// killed (SIGKILL) when it runs past `limit`. Errors only when it cannot be started.
claude_jobs::Result<ProgramResult> run_program(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds limit);

// The absolute path of an executable `name` (as-is when it holds a '/'), looked up in
// `path` (a PATH value); "" when none is found.
std::string find_program(const std::string& name, const std::string& path);

}  // namespace cj::cli

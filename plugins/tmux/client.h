// Running tmux clients, for the backend and its pane program: a command through the process
// seam (common/command.h) with what every tmux command here takes — a working folder of "/"
// (a tmux server it starts inherits it: never pin the server's), a session of its own, its
// stdin fed from a string, a time limit — and the environment such a client gets.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "common/command.h"

namespace cj::tmux {

using cj::plugin_common::CommandOutput;

constexpr std::chrono::milliseconds kTmuxLimit{5000};

// Runs argv[0] (an absolute path) with argv and exactly env (nullopt: this process's), its
// stdin fed with input. Errors: Unavailable when it cannot be started, Internal when it ran
// past the limit (then it is killed). A non-zero exit is an answer, not an error.
claude_jobs::Result<CommandOutput> run_client(const std::vector<std::string>& argv,
                                              const std::optional<std::vector<std::string>>& env,
                                              const std::string& input,
                                              std::chrono::milliseconds limit = kTmuxLimit);

// The environment a tmux client started by the server gets: the server's, without the
// variables that would tie it to a tmux the server itself may run in (TMUX, TMUX_PANE).
std::vector<std::string> client_environment();

// The first executable called `name` in the PATH of env ("NAME=value" entries; a default
// PATH when it has none), or name itself when it holds a '/' and is executable; "" when none.
std::string find_program(const std::string& name, const std::vector<std::string>& env);

}  // namespace cj::tmux

// The runner's diagnostics: one short line on stderr. Whatever stderr is (a tmux pane,
// /dev/null), nothing else of the runner's is ever written there or anywhere else.
#pragma once

#include <unistd.h>

#include <string>

namespace cj::runner {

inline void diag(const std::string& message) {
    std::string line = "claude-jobs-runner: " + message + "\n";
    // Best effort: a closed or full stderr must never stop the supervisor.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cj::runner

// Running a short command to its end and capturing what it says: a tmux client, a container
// runtime's `inspect`, `claude --version`. Always an argument vector through posix_spawn,
// never a shell; no descriptor of the caller's but the pipes reaches it (the server's stdout
// is the protocol pipe); bounded in time and in what is kept of its output. Part of the
// process seam with spawn.h. Thread-safe: nothing is shared between calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cj::plugin_common {

// Where the callers' contracts differ, an option says which.
struct CommandOptions {
    std::chrono::milliseconds timeout{5000};  // then SIGKILL
    // Fed to stdin through a pipe (an empty string: stdin at its end at once); nullopt:
    // stdin on /dev/null.
    std::optional<std::string> input;
    // The command's complete environment ("NAME=value"); nullopt: this process's.
    std::optional<std::vector<std::string>> env;
    std::string workDir;       // "" = this process's; "/" so a server it starts pins nothing
    bool newSession = false;   // a session of its own, so no terminal's signal reaches it
    bool mergeStderr = false;  // stderr into the same capture as stdout (`out`)
    std::size_t maxCapture = 1 << 20;  // bytes kept per stream; the rest is read and dropped
};

// Whether a value may go on a command line as one option's argument (a runtime's or a
// scheduler's): not empty, not starting with '-' (it would read as an option), no control
// characters.
bool plain_option_value(const std::string& value);

struct CommandOutput {
    bool started = false;  // false: the program could not be run (spawnError says why)
    int spawnError = 0;
    bool timedOut = false;  // killed after the timeout
    int exitCode = -1;      // when it exited by itself; -1 when a signal or the timeout ended it
    std::string out;
    std::string err;
};

// Runs argv[0] (a path; it is not looked up) with argv, waits until it has exited and closed
// its output, at most options.timeout, and returns what it said. Signal dispositions and mask
// are the defaults in the child, whatever this process ignores.
CommandOutput run_captured(const std::vector<std::string>& argv,
                           const CommandOptions& options = {});

// The first lines of a command's output on one line (line breaks as spaces), at most limit
// bytes and "..." after, trailing spaces dropped: for an error message or an id.
std::string first_lines(const std::string& text, std::size_t limit = 400);

// "<what> could not be run: <reason>", "<what> did not answer in time", or "<what> failed
// (exit code N): <first lines of its complaint>", for an error message.
std::string describe_failure(const std::string& what, const CommandOutput& output);

}  // namespace cj::plugin_common

// Reading the runner's command line, the contract between a backend and the supervisor that
// claude_jobs/job_folder.h spells out (its option names, and RunnerCommand, which builds it):
//   claude-jobs-runner --job-dir DIR [--cwd DIR] [--timeout SEC] [--grace SEC] [--nice N]
//                      [--terminal] -- PROGRAM [ARGS...]
// --terminal: the program gets the runner's own terminal (its stdin, stdout and stderr) instead
// of the job's files, as the terminal's foreground process group: for a full-screen program in
// a terminal a person can attach to (the tmux backend's interactive mode). events.jsonl and
// stderr.log are still created, so the job folder looks the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cj::runner {

struct Options {
    std::string jobDir;
    std::string cwd;                   // "" = the runner's own working directory
    std::int64_t timeoutMs = 0;        // 0 = no time limit
    std::int64_t graceMs = 10'000;     // SIGTERM → SIGKILL, unless cancel.json says otherwise
    int niceness = 0;                  // 0..19, applied to the runner (and so to the program)
    bool terminal = false;             // the program runs on the runner's terminal
    std::vector<std::string> command;  // PROGRAM and its arguments
};

struct ParsedOptions {
    Options options;
    std::string error;  // "" when the command line was valid
};

// Never throws for bad input; what was understood before an error is kept (jobDir
// especially, so the error can still be recorded in the job's folder).
ParsedOptions parse_options(int argc, char** argv);

// Seconds as given on the command line or in cancel.json ("30", "0.5") to milliseconds;
// -1 for anything that is not a non-negative number of at most a year.
std::int64_t parse_seconds(const char* text);

// "30" for whole seconds, "1.5" otherwise: how a limit is shown to a person.
std::string format_seconds(std::int64_t ms);

extern const char* const kUsage;

}  // namespace cj::runner

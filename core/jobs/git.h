// Running git for the job service: always an argument vector (never a shell), with an
// environment of its own (no GIT_* variable of the server's leaks in, no prompt, no pager, no
// hooks, messages in English so they can be read), bounded in time. Paths and branch names
// that could be taken for options or carry control characters are refused before git sees them.
//
// Thread-safety: a Git is a plain value; calls share nothing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::jobs::git {

struct Output {
    int exitCode = -1;  // -1: could not be run, or killed by the time limit
    std::string out;
    std::string err;
    bool ok() const { return exitCode == 0; }
};

struct RunOptions {
    std::vector<std::string> env;  // added "NAME=value" entries, e.g. GIT_INDEX_FILE=...
    std::chrono::milliseconds timeout{120000};
    std::size_t maxCapture = 64 << 20;
};

// An absolute path git may be given: no control characters, not empty. A path is passed as
// the argument of -C or after "--", so a leading '-' is harmless, yet a hostile name is refused
// early with a clear message.
claude_jobs::Result<void> check_path(const std::string& what, const std::string& path);

// The branch of a job's worktree, "claude-jobs/<jobId>"; InvalidArgument when the id would not
// make a plain branch name (".." inside, ending in ".lock", a leading '-' or '.').
claude_jobs::Result<std::string> job_branch(const std::string& jobId);

class Git {
  public:
    // program: git's path; "" finds it on PATH (then /usr/bin/git).
    explicit Git(std::string program = "");

    // `git -C dir <args>`: whatever the exit code.
    Output run(const std::string& dir, const std::vector<std::string>& args,
               const RunOptions& options = {}) const;
    // The same, but a non-zero exit is an error naming the command ("git <verb> failed: …");
    // the value is stdout.
    claude_jobs::Result<std::string> must(const std::string& dir,
                                          const std::vector<std::string>& args,
                                          const RunOptions& options = {}) const;

    const std::string& program() const { return program_; }

  private:
    std::string program_;
};

// Whether git could find a repository from `folder` (an absolute, resolved path), answered
// with a few stats and no process: false only when no folder from it up to the root holds a
// ".git" entry or is itself a git directory (HEAD, objects/ and refs/) — where git, run as
// Git runs it (no GIT_* variable), would look. True means "ask git".
bool may_be_in_repository(const std::string& folder);

// stdout without its trailing line break.
std::string trimmed(const std::string& text);

// Splits NUL-separated output (-z) into its items, dropping a trailing empty one.
std::vector<std::string> split_nul(const std::string& text);

}  // namespace cj::jobs::git

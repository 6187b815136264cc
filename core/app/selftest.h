// claude-jobs --selftest: proves the detach -> poll -> exit cycle without a live model,
// through the real plugin loader, backend module, supervisor and job index, in a throwaway
// state dir. The "claude" it runs is this binary in a tiny stand-in mode.
#pragma once

#include <optional>
#include <string>

namespace cj::app {

// Prints each step with its time to stdout; returns the process exit code (0 = all passed).
// The job it runs uses a stand-in for claude; the real claude is checked as claude_start
// checks it, and a setup without a usable one fails unless plumbingOnly.
int run_selftest(const std::optional<std::string>& configPath, bool plumbingOnly);

// The stand-in: when CLAUDE_JOBS_SELFTEST_CHILD is set, main() runs this instead. Reads
// the prompt on stdin, writes stream-json events like claude -p, returns its exit code.
bool is_selftest_child();
int run_selftest_child();

}  // namespace cj::app

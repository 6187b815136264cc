// The program of a job's tmux pane. It starts the job's supervisor (claude-jobs-runner, in a
// process group of its own so keys typed in the pane never signal it) with the job's
// environment (read from <job>/pane-env, then removed), and then:
//   print mode        shows the job's readable transcript, rendered live from events.jsonl
//                     as claude_check renders it, and stderr lines as they come;
//   interactive mode  leaves the terminal to Claude Code, and types the prompt in once it is
//                     ready (see interactive_start.h).
// When the supervisor ends it says how, and keeps the pane (so the session) open for the
// keep period, unless the job was cancelled (cancel.json) or the pane is asked to close
// (SIGTERM, SIGHUP). SIGTERM/SIGHUP while the job runs are passed to the supervisor as a
// cancel.
#pragma once

#include <string>

namespace cj::tmux {

int run_pane(int argc, char** argv);

}  // namespace cj::tmux

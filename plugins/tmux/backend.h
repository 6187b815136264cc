// The "tmux" backend: each job runs in a session of its own on a dedicated tmux socket, so a
// person can attach from any terminal, watch it, and (in interactive mode) type into it,
// while the job stays an ordinary claude-jobs job: the same supervisor (claude-jobs-runner)
// records its output and outcome in the job folder.
//
// The pane's program is the pane helper (claude-jobs-tmux pane), which starts the supervisor,
// shows the job's readable transcript (print mode) or leaves the terminal to Claude Code's
// own interface (interactive mode), types the prompt in once that interface is ready, and
// keeps the session open keepSessionSec after the end. See docs/backends/tmux.md.
#pragma once

#include <string>

#include "claude_jobs/runner_backend.h"
#include "state.h"

namespace cj::tmux {

// Thread-safe (see RunnerBackend): no hook holds a lock while it runs tmux or reads /proc.
class TmuxBackend final : public claude_jobs::RunnerBackend<Settings, PaneState> {
  public:
    TmuxBackend();

    // sendInput only in interactive mode.
    claude_jobs::Capabilities capabilities() const noexcept override;
    // Known jobs: the command, without asking tmux. Others (ended, in their keep period):
    // the command while the session still exists, NotFound after.
    Result<std::string> attachCommand(const std::string& jobId) noexcept override;
    // Interactive mode only: pastes text into the pane (bracketed paste), then Enter.
    Result<void> sendInput(const std::string& jobId, const std::string& text) noexcept override;

  protected:
    // Settings: socket, mode, keepSessionSec, tmuxPath, columns, rows (see state.h).
    Result<void> check_health(const Context& context) override;
    Result<PaneState> launch(const claude_jobs::JobSpec& spec, const Context& context) override;
    Result<claude_jobs::JobStatus> query(const std::string& jobId, const PaneState& job,
                                         const Context& context) override;
    // Leaves the cancel request and signals the supervisor (or, while it is being started,
    // the pane helper); the helper closes the session as soon as the job has ended.
    Result<void> halt(const std::string& jobId, const PaneState& job, int graceSec,
                      const Context& context) override;
    // A cancelled job's session goes at once; any other stays for keepSessionSec (the pane
    // helper closes it, server or not).
    Result<void> release(const std::string& jobId, const std::optional<PaneState>& job,
                         const Context& context) override;
};

}  // namespace cj::tmux

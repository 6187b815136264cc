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

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "claude_jobs/job_backend.h"
#include "state.h"

namespace cj::tmux {

// Thread-safe: the job map is guarded by a mutex that no call holds while it runs tmux or
// reads /proc.
class TmuxBackend final : public claude_jobs::JobBackendBase {
  public:
    claude_jobs::BackendInfo info() const noexcept override;
    // Settings: socket, mode, keepSessionSec, tmuxPath, columns, rows (see state.h).
    claude_jobs::Result<void> configure(const std::string& configJson,
                                        const claude_jobs::HostContext& host) noexcept override;
    claude_jobs::Capabilities capabilities() const noexcept override;
    claude_jobs::Result<void> health() noexcept override;
    claude_jobs::Result<claude_jobs::JobHandle> start(
        const claude_jobs::JobSpec& spec) noexcept override;
    claude_jobs::Result<void> recover(const claude_jobs::JobHandle& handle) noexcept override;
    claude_jobs::Result<claude_jobs::JobStatus> status(const std::string& jobId) noexcept override;
    // Leaves the cancel request and signals the supervisor (or, while it is being started,
    // the pane helper); the helper closes the session as soon as the job has ended.
    claude_jobs::Result<void> stop(const std::string& jobId, int graceSec) noexcept override;
    // A cancelled job's session goes at once; any other stays for keepSessionSec (the pane
    // helper closes it, server or not).
    claude_jobs::Result<void> destroy(const std::string& jobId) noexcept override;
    // Known jobs: the command, without asking tmux. Others (ended, in their keep period):
    // the command while the session still exists, NotFound after.
    claude_jobs::Result<std::string> attachCommand(const std::string& jobId) noexcept override;
    // Interactive mode only: pastes text into the pane (bracketed paste), then Enter.
    claude_jobs::Result<void> sendInput(const std::string& jobId,
                                        const std::string& text) noexcept override;

  private:
    claude_jobs::Result<PaneState> find(const std::string& jobId) const;
    // The environment tmux clients get: the server's, without the variables that would tie
    // them to a tmux the server itself may run in.
    std::vector<std::string> client_environment() const;
    std::string helper_path() const;
    // The job's session exists on its socket.
    bool has_session(const PaneState& job) const;
    void kill_session(const PaneState& job) const;

    mutable std::mutex mutex_;
    bool configured_ = false;
    claude_jobs::HostContext host_;
    Settings settings_;
    std::string bootId_;
    std::map<std::string, PaneState> jobs_;
};

}  // namespace cj::tmux

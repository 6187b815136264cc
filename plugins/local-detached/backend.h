// The "local-detached" backend: each job's supervisor (claude-jobs-runner) runs as a detached
// process on this machine, so jobs outlive the server, its client and the client's Ctrl-C.
// The supervisor records the job's outcome; this backend only launches it, tells whether it
// still runs, and asks it to stop.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "claude_jobs/job_backend.h"
#include "launch.h"
#include "state.h"

namespace cj::local_detached {

// Thread-safe: the job map is guarded by a mutex, and no call holds it while it spawns,
// reads /proc or writes files.
class LocalBackend final : public claude_jobs::JobBackendBase {
  public:
    claude_jobs::BackendInfo info() const noexcept override;

    // Settings (all optional): "niceness" (0-19, lowers the supervisor's priority) and "env"
    // (an object of strings added to this instance's jobs' environment, replacing variables
    // of the same name). The runner path is only checked by health(), so that a broken
    // install shows up as an unavailable backend rather than a server that will not start.
    claude_jobs::Result<void> configure(const std::string& configJson,
                                        const claude_jobs::HostContext& host) noexcept override;

    claude_jobs::Capabilities capabilities() const noexcept override;
    claude_jobs::Result<void> health() noexcept override;
    claude_jobs::Result<claude_jobs::JobHandle> start(
        const claude_jobs::JobSpec& spec) noexcept override;
    claude_jobs::Result<void> recover(const claude_jobs::JobHandle& handle) noexcept override;
    claude_jobs::Result<claude_jobs::JobStatus> status(const std::string& jobId) noexcept override;
    claude_jobs::Result<void> stop(const std::string& jobId, int graceSec) noexcept override;
    claude_jobs::Result<void> destroy(const std::string& jobId) noexcept override;

  private:
    struct Settings {
        int niceness = 0;
        std::vector<std::pair<std::string, std::string>> env;
    };

    claude_jobs::Result<RunnerState> find(const std::string& jobId) const;
    // Recorded under another boot id: the machine restarted since the job was started.
    bool started_before_reboot(const RunnerState& job) const;
    std::vector<std::string> job_environment(const std::vector<std::string>& base) const;

    mutable std::mutex mutex_;
    bool configured_ = false;
    claude_jobs::HostContext host_;
    Settings settings_;
    std::string bootId_;  // this boot's id, read once: it cannot change while we run
    std::map<std::string, RunnerState> jobs_;
    ChildReaper reaper_{kReapInterval};  // last: its thread stops before anything else goes
};

}  // namespace cj::local_detached

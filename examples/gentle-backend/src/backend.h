// The gentle backend: each job's supervisor (claude-jobs-runner, shipped with claude-jobs)
// runs detached on this machine, like the built-in local backend, but at low CPU priority
// (nice), idle or best-effort I/O priority (ioprio_set), and under optional resource limits
// (memory, CPU time, open files), all inherited by claude and everything it starts.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <claude_jobs/job_backend.h>

#include "process.h"
#include "settings.h"

namespace gentle {

// What the backend persists about a job (JobHandle::backendState, version kStateVersion).
struct JobState {
    ProcessIdentity supervisor;
    std::string bootId;
    std::string jobDir;
};

// Thread-safe: the job map and settings are guarded by one mutex, never held while launching
// or reading /proc.
class GentleBackend final : public claude_jobs::JobBackendBase {
  public:
    claude_jobs::BackendInfo info() const noexcept override;
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
    claude_jobs::Result<JobState> find(const std::string& jobId) const;

    mutable std::mutex mutex_;
    bool configured_ = false;
    claude_jobs::HostContext host_;
    Settings settings_;
    std::string bootId_;
    std::map<std::string, JobState> jobs_;
};

}  // namespace gentle

// The "container" backend: each job's supervisor (claude-jobs-runner, mounted read-only from
// the host) runs as the entry point of a Docker or Podman container that sees only the job's
// work folder and job folder. The supervisor still writes events, stderr and the exit record
// into the job folder, so the host reads a container job exactly like a local one; the
// runtime's `inspect` says whether the container still runs, and how it ended when the
// supervisor could not record it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "claude_jobs/job_backend.h"
#include "inspect.h"
#include "process.h"
#include "settings.h"
#include "state.h"

namespace cj::container {

// Thread-safe: the job map is guarded by a mutex that no call holds while it runs a runtime
// command. status() never runs one: it answers from what a poller thread last learnt from a
// single `inspect` of all the jobs (asked for at most twice a second, and only while status()
// is being asked), so it costs a map lookup.
class ContainerBackend final : public claude_jobs::JobBackendBase {
  public:
    ContainerBackend() = default;
    ~ContainerBackend() override;

    claude_jobs::BackendInfo info() const noexcept override;
    claude_jobs::Result<void> configure(const std::string& configJson,
                                        const claude_jobs::HostContext& host) noexcept override;
    claude_jobs::Capabilities capabilities() const noexcept override;
    // Runtime missing, runtime not answering (`info` fails), image missing: each said plainly.
    // Each check runs the runtime (up to a second or more on a busy machine): a healthy answer
    // is reused, and re-checked by the poller thread once it is 30 s old; an unhealthy one is
    // reused for 3 s, then checked again in line (someone is probably fixing it).
    claude_jobs::Result<void> health() noexcept override;
    // Takes as long as `<runtime> run --detach` does (about half a second with podman here).
    claude_jobs::Result<claude_jobs::JobHandle> start(
        const claude_jobs::JobSpec& spec) noexcept override;
    claude_jobs::Result<void> recover(const claude_jobs::JobHandle& handle) noexcept override;
    claude_jobs::Result<claude_jobs::JobStatus> status(const std::string& jobId) noexcept override;
    // Leaves the grace in the job folder for the supervisor, then `stop` in the background.
    claude_jobs::Result<void> stop(const std::string& jobId, int graceSec) noexcept override;
    // `rm -f` of the job's container in the background; also for a job this process never
    // tracked (a launch the server did not live to record), as the name follows from the id.
    claude_jobs::Result<void> destroy(const std::string& jobId) noexcept override;

  private:
    struct Job {
        JobState state;
        std::optional<ContainerState> seen;  // the last inspect's answer
        std::chrono::steady_clock::time_point seenAt;
    };
    struct Health {
        bool checked = false;
        std::chrono::steady_clock::time_point at;
        claude_jobs::Result<void> result;
    };

    claude_jobs::Result<void> check_health(const std::string& runtime, const std::string& image,
                                           const std::string& runnerPath) const;
    void poll_loop();
    void poll_once();
    void refresh_health();

    mutable std::mutex mutex_;
    bool configured_ = false;
    claude_jobs::HostContext host_;
    Settings settings_;
    std::string runtime_;  // resolved path, "" when none was found
    std::map<std::string, Job> jobs_;
    Health health_;

    std::condition_variable pollWake_;
    bool pollWanted_ = false;
    bool healthWanted_ = false;
    bool stopping_ = false;
    std::thread poller_;

    BackgroundCommands background_;
};

}  // namespace cj::container

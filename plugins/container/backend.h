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

#include "claude_jobs/runner_backend.h"
#include "inspect.h"
#include "process.h"
#include "run_args.h"
#include "settings.h"
#include "state.h"

namespace cj::container {

// The settings, and the runtime they name, found once when configured ("" when none was).
struct Configuration {
    Settings settings;
    std::string runtime;
};

// The settings (see settings.h) and where their runtime is; false with a reason naming the key.
bool parse_settings(const std::string& configJson, Configuration& out, std::string& why);

// Thread-safe: the base's lock guards the configuration and the job map, this class's own the
// runtime's last answers and the health cache; no call holds either while it runs a runtime
// command. status() never runs one: it answers from what a poller thread last learnt from a
// single `inspect` of all the jobs (asked for at most twice a second, and only while status()
// is being asked), so it costs a map lookup.
class ContainerBackend final : public claude_jobs::RunnerBackend<Configuration, JobState> {
  public:
    ContainerBackend();
    ~ContainerBackend() override;

  protected:
    void configured(const Context& context) override;
    // Runtime missing, runtime not answering (`info` fails), image missing: each said plainly.
    // Each check runs the runtime (up to a second or more on a busy machine): a healthy answer
    // is reused, and re-checked by the poller thread once it is 30 s old; an unhealthy one is
    // reused for 3 s, then checked again in line (someone is probably fixing it).
    Result<void> check_health(const Context& context) override;
    // Takes as long as `<runtime> run --detach` does (about half a second with podman here).
    Result<JobState> launch(const claude_jobs::JobSpec& spec, const Context& context) override;
    Result<claude_jobs::JobStatus> query(const std::string& jobId, const JobState& job,
                                         const Context& context) override;
    // Leaves the grace in the job folder for the supervisor, then `stop` in the background.
    Result<void> halt(const std::string& jobId, const JobState& job, int graceSec,
                      const Context& context) override;
    // Refuses a state whose container is not the job's; asks the runtime about the job.
    Result<void> recovered(const std::string& jobId, const JobState& job) override;
    // `rm -f` of the job's container in the background; also for a job this process never
    // tracked (a launch the server did not live to record), as the name follows from the id.
    Result<void> release(const std::string& jobId, const std::optional<JobState>& job,
                         const Context& context) override;

  private:
    // What the runtime last said of a job's container; none until the first inspect.
    struct Seen {
        std::optional<ContainerState> state;
        std::chrono::steady_clock::time_point at;
    };
    struct Health {
        bool checked = false;
        std::chrono::steady_clock::time_point at;
        claude_jobs::Result<void> result;
    };

    Result<void> check_runtime(const Context& context) const;
    Result<RunInputs> run_inputs(const claude_jobs::JobSpec& spec, const Context& context) const;
    // The last answer for a job, asking the poller for a new one when it is stale.
    std::optional<ContainerState> last_seen(const std::string& jobId);
    void poll_loop();
    void poll_once();
    void refresh_health();

    std::mutex mutex_;
    std::map<std::string, Seen> seen_;  // by job id, for the jobs tracked
    Health health_;

    std::condition_variable pollWake_;
    bool pollWanted_ = false;
    bool healthWanted_ = false;
    bool stopping_ = false;
    std::thread poller_;

    BackgroundCommands background_;
};

}  // namespace cj::container

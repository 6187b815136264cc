// The gentle backend: each job's supervisor (claude-jobs-runner, shipped with claude-jobs)
// runs detached on this machine, like the built-in local backend, but at low CPU priority
// (nice), idle or best-effort I/O priority (ioprio_set), and under optional resource limits
// (memory, CPU time, open files), all inherited by claude and everything it starts.
//
// What every backend whose supervisor is a detached process on this machine does the same way
// (configuration, the guards, the job map, recovering a job from its handle, asking about the
// supervisor and stopping it) is the SDK's LocalRunnerBackend; this class writes only what is
// gentle's: its settings, how it launches the supervisor, its state, and two additions.
#pragma once

#include <string>

#include <claude_jobs/process_identity.h>
#include <claude_jobs/runner_backend.h>

#include "settings.h"

namespace gentle {

// What the backend persists about a job (JobHandle::backendState).
struct JobState {
    claude_jobs::ProcessIdentity runner;  // the supervisor: pid + start time + boot id
    std::string jobDir;
};

// JobState as JSON text, and back; RunnerBackend finds these next to JobState (as it finds
// parse_settings next to Settings). decode_state is false with a reason for anything but a
// well-formed state, and never throws on what it is given.
std::string encode_state(const JobState& state);
bool decode_state(const std::string& text, JobState& out, std::string& why);

// Thread-safe (see RunnerBackend): no hook holds a lock while it launches or reads /proc.
class GentleBackend final : public claude_jobs::LocalRunnerBackend<Settings, JobState> {
  public:
    GentleBackend();

  protected:
    // The supervisor can be run, and I/O priorities can be set here.
    Result<void> check_health(const Context& context) override;
    Result<JobState> launch(const claude_jobs::JobSpec& spec, const Context& context) override;
    // An ended job's exit record, when its supervisor wrote one, says how it ended.
    Result<claude_jobs::JobStatus> query(const std::string& jobId, const JobState& job,
                                         const Context& context) override;
};

}  // namespace gentle

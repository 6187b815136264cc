// The "local-detached" backend: each job's supervisor (claude-jobs-runner) runs as a detached
// process on this machine, so jobs outlive the server, its client and the client's Ctrl-C.
// The supervisor records the job's outcome; this backend only launches it, tells whether it
// still runs, and asks it to stop.
#pragma once

#include <string>

#include "claude_jobs/runner_backend.h"
#include "launch.h"
#include "state.h"

namespace cj::local_detached {

// What is the same for every backend whose runner is a detached process on this machine
// (configuration, guards, the job map, recovering, asking about the runner and stopping it) is
// LocalRunnerBackend's; this class writes how it launches one. Thread-safe: no hook holds a
// lock while it spawns, reads /proc or writes files.
class LocalBackend final : public claude_jobs::LocalRunnerBackend<Settings, RunnerState> {
  public:
    LocalBackend();

  protected:
    // The runner path is only checked by health() (and start()), so that a broken install
    // shows up as an unavailable backend rather than a server that will not start.
    Result<RunnerState> launch(const claude_jobs::JobSpec& spec, const Context& context) override;

  private:
    ChildReaper reaper_{kReapInterval};
};

}  // namespace cj::local_detached

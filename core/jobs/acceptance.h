// Accepting a start: the one place where every argument of claude_start (and of
// `claude-jobs start`) is checked and resolved — the prompt and its size, a proposed job id,
// the work folder (real path, allowed folders), the backend (argument, route or default, and
// its health), the session to resume, the permission mode, tool names, the time limit and the
// budget, and that the host's claude can run. What comes out is trusted by every later layer: the
// row to record and the exact launch plan (claude's path, arguments, environment, time limit).
//
// Thread-safety: accept() may be called from any thread at once.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/isolation.h"
#include "core/jobs/job_index.h"
#include "core/jobs/reconciler.h"
#include "core/jobs/start_request.h"
#include "core/util/recent_passes.h"

namespace cj::jobs {

// A start that passed every check: the row to insert (state decided by the index) and what
// its launch needs.
struct AcceptedStart {
    JobRecord draft;
    LaunchPlan plan;
    std::string prompt;
    IsolationMode isolation = IsolationMode::None;
    bool includeUncommitted = false;
    std::optional<double> budgetUsd;  // its maxBudgetUsd as resolved (the budgets count it)
};

struct Acceptance {
    std::optional<JobRecord> existing;  // the idempotency key named an earlier job: the answer
    AcceptedStart start;                // when not existing
};

// The work folder a job would run in: absolute, existing, resolved to its real path, and
// inside config.allowedWorkFolders when those are configured. "" means the default. Checked
// when a job is accepted and again when it is launched (a queued job's folder may have been
// swapped for a symlink meanwhile).
claude_jobs::Result<std::string> resolve_work_folder(const config::Config& config,
                                                     const std::string& requested);

class StartAcceptor {
  public:
    // depth: this server's CLAUDE_JOBS_DEPTH; baseEnv: its environment ("NAME=value");
    // self: this process as the owner of the jobs it starts (the client name comes with
    // each request).
    StartAcceptor(const config::Config& config, JobIndex& index, const BackendSet& backends,
                  Reconciler& reconciler, EventCache& events, int depth,
                  std::vector<std::string> baseEnv, JobOwner self);

    // InvalidArgument (with a message the caller can act on) for a bad value, NotFound for an
    // unknown resumeJobId, PermissionDenied for a folder outside allowedWorkFolders,
    // LimitReached at maxDepth, Unavailable for a backend that cannot start jobs now or a claude
    // that cannot be found or run (claude_program.h).
    claude_jobs::Result<Acceptance> accept(const StartRequest& request);

    // The work folder a job would run in (see the free function below).
    claude_jobs::Result<std::string> resolve_work_folder(const std::string& requested) const;

  private:
    claude_jobs::Result<void> check_fields(const StartRequest& request) const;
    claude_jobs::Result<std::string> resolve_resume(const StartRequest& request);
    claude_jobs::Result<std::int64_t> resolve_timeout(const StartRequest& request) const;
    // find_runnable_claude, a pass trusted for a second (util::RecentPasses).
    claude_jobs::Result<void> runnable_claude(const std::vector<std::string>& env);

    const config::Config& config_;
    JobIndex& index_;
    const BackendSet& backends_;
    Reconciler& reconciler_;
    EventCache& events_;
    int depth_;
    std::vector<std::string> baseEnv_;
    JobOwner self_;
    util::RecentPasses claudeFound_{std::chrono::seconds(1)};
};

}  // namespace cj::jobs

// Launching: from an accepted start to a job that runs (or waits in the queue). admit()
// writes the job folder and prompt, records the row durably (the index decides running or
// queued, FIFO across every server), and launches a job that got a slot; promote_queued()
// launches queued jobs into slots that freed. A launch hands the backend the plan fixed at
// acceptance, stores the handle it returns, and records a failed launch as the job's end.
//
// A job without isolation whose folder is in git has its base commit recorded (for its
// change record) by its launch, just before its supervisor starts: git takes milliseconds, and
// a caller that launches after answering (claude_start) does not make its client wait for it.
//
// Thread-safety: any thread, at once: the index hands each promoted job to exactly one
// caller, so two threads never launch the same job, and launches of different jobs do not
// wait for each other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/acceptance.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/isolation.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"
#include "core/jobs/reconciler.h"

namespace cj::jobs {

struct StartOutcome {
    JobRecord job;
    bool existing = false;  // an earlier job with the same idempotency key
    std::optional<std::int64_t> queuePosition;
    std::string attach;
    // admit(…, launchLater): the job holds a launch slot and the caller launches it
    // (Launcher::launch) once it has answered.
    bool launchPending = false;
};

class Launcher {
  public:
    // isolation: sets up a job's worktree or copy before its row is recorded (none: every
    // job runs in its work folder and nothing is recorded of its changes).
    Launcher(const config::Config& config, JobIndex& index, BackendSet& backends,
             Reconciler& reconciler, JobDirs dirs, Isolation* isolation = nullptr)
        : config_(config),
          index_(index),
          backends_(backends),
          reconciler_(reconciler),
          dirs_(std::move(dirs)),
          isolation_(isolation) {}

    // Unavailable when a job that got a slot could not be launched (its row says why).
    // hold: queue it whatever slots are free (a budget or a usage limit holds launches).
    // launchLater: a job that got a slot is not launched here (launchPending): its row is
    // durable, so the caller can answer first and launch it right after.
    claude_jobs::Result<StartOutcome> admit(AcceptedStart accepted, bool hold = false,
                                            bool launchLater = false);

    // The launch slots to use, given maxConcurrentJobs (0 = launch nothing now). Set before
    // concurrent use; unset = maxConcurrentJobs.
    void set_slots(std::function<int(int)> slots) { slots_ = std::move(slots); }

    // Launches a job that holds a launch slot (state running, no handle yet). false when it
    // did not end up running: the launch failed (the row says why) or the job ended meanwhile.
    // The launch holds <job>/launch.lock; a job another process launched meanwhile is left
    // as it is.
    bool launch(JobRecord job);

    // A running job without a handle whose launcher is gone — the server that accepted it
    // was killed between its reply and the launch — is launched here from the plan that
    // server made durable: once its slot was taken at least `after` ago, its launch lock is
    // free, no supervisor of it ever started (no runner.json) and this server has its
    // backend. true when it was launched here.
    bool adopt_abandoned(const JobRecord& job,
                         std::chrono::milliseconds after = kAbandonedLaunchAfter);
    static constexpr std::chrono::milliseconds kAbandonedLaunchAfter{5000};

    // Launches the oldest queued jobs while slots are free, on backends this server has.
    void promote_queued();

  private:
    // launch() once the job's launch lock is held.
    bool launch_claimed(JobRecord job);
    // The row again, under the launch lock: nullopt when there is nothing left to launch
    // (ended, or launched by another process; launched is then true).
    std::optional<JobRecord> still_to_launch(const JobRecord& job, bool& launched);
    claude_jobs::Result<void> write_job_folder(const std::string& id, const std::string& prompt);
    std::optional<std::int64_t> queue_position(const std::string& id);
    claude_jobs::Result<void> isolate(const AcceptedStart& accepted);
    void undo_folder(const std::string& id);
    claude_jobs::Result<std::string> run_folder(const JobRecord& job) const;
    // A job without isolation: its base commit, recorded before it runs (isolation.json).
    claude_jobs::Result<void> record_base(const JobRecord& job);
    int slots() const {
        return slots_ ? slots_(config_.maxConcurrentJobs) : config_.maxConcurrentJobs;
    }

    const config::Config& config_;
    JobIndex& index_;
    BackendSet& backends_;
    Reconciler& reconciler_;
    JobDirs dirs_;
    Isolation* isolation_;
    std::function<int(int)> slots_;
    std::atomic<bool> rootChecked_{false};  // the jobs folder made and checked once
};

}  // namespace cj::jobs

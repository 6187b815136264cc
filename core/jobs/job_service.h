// The job service: the one door the tools and the command line use to act on jobs. It is a
// façade over the rooms that do the work, each in a file of its own:
//   acceptance   checking and resolving a start's arguments (the only place that does)
//   launcher     writing the job folder, recording the row, launching and promoting
//   reconciler   bringing a running job's row up to date; recording ends
//   event_cache  each job's event-log summary, read incrementally
//   job_view     the typed job view a tool renders
//   waiter       claude_wait's loop
//   job_control  cancel and input
//   housekeeping the pump, releasing what backends hold, retention
//   transition_feed  every state change, in order, for whoever wakes a client
//   isolation    a job's worktree or copy;  changes  what an ended job changed, its delivery
//   ledger, limit_gate, resumer  money and usage limits (docs/limits.md)
// Tools never talk to a backend directly.
//
// Thread-safety: every method may be called concurrently from request threads and from the
// housekeeping thread; the job index serializes what must be, and a job's end is recorded once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/acceptance.h"
#include "core/jobs/backend_report.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/change_follower.h"
#include "core/jobs/changes.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/housekeeping.h"
#include "core/jobs/isolation.h"
#include "core/jobs/job_control.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"
#include "core/jobs/job_list.h"
#include "core/jobs/job_view.h"
#include "core/jobs/launcher.h"
#include "core/jobs/ledger.h"
#include "core/jobs/limit_gate.h"
#include "core/jobs/reconciler.h"
#include "core/jobs/resumer.h"
#include "core/jobs/start_request.h"
#include "core/jobs/transition_feed.h"
#include "core/jobs/waiter.h"
#include "core/jobs/wake_marks.h"
#include "core/util/cancel_token.h"

namespace cj::jobs {

class JobService {
  public:
    // depth: this server's CLAUDE_JOBS_DEPTH (0 at the top); baseEnv: the environment jobs
    // inherit ("NAME=value"); self: this process as the owner of the jobs it starts.
    JobService(config::Config config, JobIndex& index, BackendSet& backends, int depth,
               std::vector<std::string> baseEnv, JobOwner self);
    ~JobService();

    // launchLater: a job that gets a slot is recorded but not launched (launchPending); the
    // caller answers its client, then calls launch_pending() — claude_start does, so its reply
    // waits for the durable row and not for the supervisor's start.
    claude_jobs::Result<StartOutcome> start(const StartRequest& request, bool launchLater = false);
    // Launches the job of a start(…, true) that is launchPending; a failed launch is recorded
    // as the job's end (its view says why).
    void launch_pending(const StartOutcome& started);
    claude_jobs::Result<JobView> check(const std::string& id, const ViewOptions& options);
    claude_jobs::Result<WaitOutcome> wait(const std::vector<std::string>& ids, WaitMode mode,
                                          std::chrono::milliseconds timeout,
                                          util::CancelToken& cancel,
                                          const std::function<void(const WaitOutcome&)>& progress);
    claude_jobs::Result<JobView> cancel(const std::string& id, int graceSec,
                                        util::CancelToken& cancel);
    claude_jobs::Result<JobView> send(const std::string& id, const std::string& text);
    claude_jobs::Result<JobList> list(const ListFilter& filter);

    std::vector<BackendReport> backends_report() const;
    std::vector<std::string> setup_warnings() const;

    // An ended job's changes: applied to its work folder (patch) or its branch merged, a dry
    // run with check; discard removes its worktree or copy. InvalidArgument while it runs.
    claude_jobs::Result<ApplyOutcome> apply(const std::string& id, ApplyMode mode, bool check);
    claude_jobs::Result<ChangeRecord> discard(const std::string& id);
    // The change record if one was written (no git is run).
    std::optional<ChangeRecord> changes(const std::string& id) const { return changes_.load(id); }
    // Records each job's changes as soon as its end is logged (the server calls this once).
    void follow_changes();
    void pump() {
        housekeeping_.pump();
        resumer_.pump();
    }
    // Cost totals from the ledger (docs/limits.md).
    claude_jobs::Result<UsageReport> usage(const UsageQuery& query) { return ledger_.report(query); }
    int release_held() { return housekeeping_.release_held(); }
    // Removes checkouts past isolation.keepDays, then what housekeeping's sweep removes.
    int sweep();

    // Every job's state changes as they are logged, by this process or any other.
    TransitionFeed& transitions() { return feed_; }
    // What owners already know of their jobs' ends: no wake-up for an end the owner read.
    WakeMarks& wake_marks() { return marks_; }
    JobIndex& index() { return index_; }
    // Whether a claude_wait of this process is waiting on the job right now: its end will be
    // read there (collected), so a wake-up for it would be a second telling.
    bool being_waited(const std::string& id) const;

    const config::Config& config() const { return config_; }
    const JobOwner& self() const { return self_; }
    std::string job_dir(const std::string& id) const { return dirs_.dir(id); }

  private:
    // The owner read a terminal state (claude_check, claude_wait): it needs no wake-up.
    void note_collected(const JobRecord& job);

    mutable std::mutex waitingMutex_;
    std::multiset<std::string> waiting_;  // ids of the waits in progress
    // Declared in the order they are built: each room only uses those above it.
    config::Config config_;
    JobIndex& index_;
    BackendSet& backends_;
    std::vector<std::string> baseEnv_;
    JobOwner self_;
    JobDirs dirs_;
    EventCache events_;
    Reconciler reconciler_;
    StartAcceptor acceptor_;
    Isolation isolation_;
    ChangeRecorder changes_;
    Launcher launcher_;
    ViewBuilder views_;
    Waiter waiter_;
    StopRequests stops_;
    JobControl control_;
    JobLister lister_;
    Housekeeping housekeeping_;
    TransitionFeed feed_;
    Ledger ledger_;
    LimitGate gate_;
    Resumer resumer_;
    std::unique_ptr<ChangeFollower> changeFollower_;

    claude_jobs::Result<JobRecord> ended(const std::string& id, const char* what);
    WakeMarks marks_;
};

}  // namespace cj::jobs

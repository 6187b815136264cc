// Acting on a job that runs: cancelling it (or taking it off the queue) and typing into an
// interactive one. A stop is asked of the job's backend, recovering the job into it first if
// this process did not start it; the housekeeping asks again every few seconds for a job
// whose cancel is recorded but which still runs, so no cancel is lost to a race with its
// launch, an interrupted call, or a server without the job's backend.
//
// Thread-safety: any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "claude_jobs/result.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"
#include "core/jobs/job_view.h"
#include "core/jobs/reconciler.h"
#include "core/util/cancel_token.h"

namespace cj::jobs {

// The stops this process sent, so a stop is repeated, not sent on every housekeeping pass.
class StopRequests {
  public:
    explicit StopRequests(BackendSet& backends) : backends_(backends) {}

    // Asks the job's backend to stop it. A job the backend no longer knows has ended: that
    // is a success. Unavailable when this server does not have the job's backend.
    claude_jobs::Result<void> request(const JobRecord& job, int graceSec);
    // request() again, unless this process sent one in the last few seconds.
    void repeat_if_due(const JobRecord& job);
    // Forgets the stops of every job not in `active` (those have ended).
    void retain(const std::set<std::string>& active);

  private:
    BackendSet& backends_;
    std::mutex mutex_;
    std::map<std::string, std::chrono::steady_clock::time_point> sent_;
};

class JobControl {
  public:
    JobControl(JobIndex& index, BackendSet& backends, Reconciler& reconciler, StopRequests& stops,
               const ViewBuilder& views, JobDirs dirs)
        : index_(index),
          backends_(backends),
          reconciler_(reconciler),
          stops_(stops),
          views_(views),
          dirs_(std::move(dirs)) {}

    // A queued job leaves the queue; a running one is stopped, and the end is waited for
    // (at most grace + 5 s, 40 s at most, or until the token fires). An ended job is left
    // as it is; the view's message says so, or that the job is still stopping.
    claude_jobs::Result<JobView> cancel(const std::string& id, int graceSec,
                                        util::CancelToken& token);

    // Types text into an interactive job (then Enter). InvalidArgument for a job whose
    // backend takes no input, that is not running, or that shows a question on screen.
    claude_jobs::Result<JobView> send(const std::string& id, const std::string& text);

  private:
    JobIndex& index_;
    BackendSet& backends_;
    Reconciler& reconciler_;
    StopRequests& stops_;
    const ViewBuilder& views_;
    JobDirs dirs_;
};

}  // namespace cj::jobs

// Waiting: claude_wait's loop. It looks for each pending job's exit record every 10 ms (a
// stat), reconciles a job as soon as its record appears, and reloads and reconciles all of
// them every 500 ms (which catches ends recorded elsewhere: another server, an orphan). An
// interactive job that waits for input is handed back too: someone must answer it. It never
// runs past its timeout or 48 s, whichever is less, and returns at once when its token fires.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_view.h"
#include "core/jobs/reconciler.h"
#include "core/util/cancel_token.h"

namespace cj::jobs {

enum class WaitMode { Any, All };

struct WaitOutcome {
    std::vector<JobView> done;  // ended jobs (and interactive jobs awaiting input)
    std::vector<std::string> pending;
    bool timedOut = false;
};

// Thread-safe: each wait() keeps its state on its own stack.
class Waiter {
  public:
    Waiter(Reconciler& reconciler, const ViewBuilder& views, JobDirs dirs)
        : reconciler_(reconciler), views_(views), dirs_(std::move(dirs)) {}

    // NotFound naming every unknown id. progress is called about once a second with what
    // is still pending (done is left empty there).
    claude_jobs::Result<WaitOutcome> wait(const std::vector<std::string>& ids, WaitMode mode,
                                          std::chrono::milliseconds timeout,
                                          util::CancelToken& cancel,
                                          const std::function<void(const WaitOutcome&)>& progress);

    // A wait never holds a tool call near the 50 s a client may allow it.
    static constexpr std::chrono::milliseconds kMaxWait{48000};

  private:
    Reconciler& reconciler_;
    const ViewBuilder& views_;
    JobDirs dirs_;
};

}  // namespace cj::jobs

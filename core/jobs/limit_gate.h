// The money and usage-limit gate (docs/limits.md): whether a start may run now, queue, or is
// refused, and whether queued jobs may be launched. Budgets: limits.maxDailyUsd (what the
// cost ledger says was spent this UTC day) and limits.maxRunningUsd (the maxBudgetUsd of the
// queued and running jobs together). A usage limit: while a job's `rate_limited` end says a
// limit is in force (its resetsAt is ahead), new starts queue and nothing is launched.
//
// Thread-safety: any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/job_index.h"
#include "core/jobs/ledger.h"

namespace cj::jobs {

// Why nothing is launched now, and until when (ms since epoch; 0 = until something changes).
struct LimitHold {
    std::string why;
    std::int64_t untilMs = 0;
};

enum class Admission { Run, Queue };

class LimitGate {
  public:
    LimitGate(const config::Config& config, JobIndex& index, Ledger& ledger)
        : config_(config), index_(index), ledger_(ledger) {}

    // A new job with this budget (nullopt = none): Run, Queue (a budget or a limit holds and
    // the config says to queue), or LimitReached naming the budget and what was spent.
    claude_jobs::Result<Admission> admit(std::optional<double> budgetUsd);

    // The launch slots queued jobs may use now: 0 while a hold is in force.
    int slots(int configured);

    // A usage limit in force, or a spent budget that queues (read at most once a second).
    std::optional<LimitHold> hold();

  private:
    std::optional<LimitHold> usage_limit_hold();
    std::optional<LimitHold> budget_hold(std::optional<double> incoming);
    claude_jobs::Result<double> committed_usd(std::optional<double>* oldestQueued);

    const config::Config& config_;
    JobIndex& index_;
    Ledger& ledger_;
    std::mutex mutex_;
    std::int64_t checkedAt_ = 0;
    std::optional<LimitHold> cached_;
};

// The latest resetsAt (Unix seconds) of a usage limit reported by jobs that ended since
// sinceMs; 0 when none.
claude_jobs::Result<std::int64_t> latest_limit_reset(JobIndex& index, std::int64_t sinceMs);

}  // namespace cj::jobs

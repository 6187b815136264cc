// The cost ledger: what each job cost, by model (cost, input, output, cache-read and
// cache-write tokens from the run's `modelUsage`), taken into the index's `costs` table once
// the job has ended, and totals over it by day, label, backend, owner or model. Rows outlive
// the job's own row (retention), so daily totals and budgets stay right. See docs/limits.md.
//
// Thread-safety: any thread; settle() may run in several processes at once (each job is
// taken in exactly once: its row's ledger_settled flag and the costs' key).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/jobs/job_index.h"

namespace cj::jobs {

struct UsageTotals {
    std::string key;  // the group ("2026-12-05", a label, …); "" for the grand total
    double costUsd = 0;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    std::int64_t cacheReadTokens = 0;
    std::int64_t cacheWriteTokens = 0;
    std::int64_t jobs = 0;  // jobs with a cost row
};

struct UsageQuery {
    std::int64_t sinceMs = 0;         // ended at or after (0 = all)
    std::string by;                   // "", day, label, backend, owner, model
    std::vector<std::string> jobIds;  // only these jobs (empty = all)
    bool onlyJobs = false;            // jobIds given (an empty list then means none)
};

struct UsageReport {
    UsageTotals total;
    std::vector<UsageTotals> groups;  // by key, ascending
};

// The groupings a usage report takes.
const std::vector<std::string>& usage_groupings();

class Ledger {
  public:
    explicit Ledger(JobIndex& index) : index_(index) {}

    // Takes every ended job not yet in the ledger into it. Returns how many.
    claude_jobs::Result<int> settle();
    claude_jobs::Result<UsageReport> report(const UsageQuery& query);
    // Spent by jobs that ended at or after sinceMs (settles first).
    claude_jobs::Result<double> spent_since(std::int64_t sinceMs);

  private:
    JobIndex& index_;
};

// "YYYY-MM-DD" of a time in ms since epoch, in UTC; and the start of that UTC day.
std::string utc_day(std::int64_t ms);
std::int64_t utc_day_start(std::int64_t ms);

}  // namespace cj::jobs

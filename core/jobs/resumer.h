// Resume after a usage limit (docs/limits.md). A job that ended `rate_limited` and asked for it
// (claude_start resumeAfterLimit, or config limits.resumeAfterLimit) is resumed at its
// resetsAt plus limits.resumeMarginSec: a new, linked job (`resumeOf` in its spec, `resumedAs`
// in the old job's view) that `--resume`s the same session with a continuation prompt, at
// most limits.maxResumes times along one chain. The schedule is the index's `resumes` table,
// so it survives a restart, and of several servers exactly one starts each resume (the new
// job's idempotency key is "resume-of:<job id>").
//
// Thread-safety: pump() from the housekeeping thread; of() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/job_index.h"
#include "core/jobs/launcher.h"
#include "core/jobs/resume_entry.h"
#include "core/jobs/start_request.h"

namespace cj::jobs {

// The prompt a resumed job gets: its session already holds the task.
extern const char* const kContinuationPrompt;

class Resumer {
  public:
    using Start = std::function<claude_jobs::Result<StartOutcome>(const StartRequest&)>;
    Resumer(const config::Config& config, JobIndex& index, Start start)
        : config_(config), index_(index), start_(std::move(start)) {}

    // Schedules what newly ended rate_limited, and starts the resumes that are due (at most
    // once a second).
    void pump();

    // The resume entry of a job, nullopt when it has none.
    claude_jobs::Result<std::optional<ResumeEntry>> of(const std::string& id);

    // The request that resumes a job (exposed for tests).
    static StartRequest resume_request(const JobRecord& job);

  private:
    claude_jobs::Result<void> schedule();
    void start_due();
    ResumeEntry plan(const JobRecord& job) const;

    const config::Config& config_;
    JobIndex& index_;
    Start start_;
    std::mutex mutex_;
    std::int64_t lastPump_ = 0;
};

}  // namespace cj::jobs

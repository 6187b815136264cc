// How a job ended: the supervisor's exit record (exit.json), read together with claude's
// final result event, decides the terminal state and the one-line reason a person acts on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "claude_jobs/job_folder.h"
#include "core/jobs/job_record.h"
#include "core/transcript/events.h"

namespace cj::jobs {

// exit.json as claude-jobs-runner writes it: the job folder's record, read by its one reader.
using ExitRecord = claude_jobs::job_folder::ExitRecord;

inline std::optional<ExitRecord> parse_exit_record(const std::string& text) {
    return claude_jobs::job_folder::decode_exit_record(text);
}

struct Outcome {
    JobState state = JobState::Failed;
    std::optional<int> exitCode;
    std::string reason;
};

// SPEC §3.2: completed only when claude exited 0 and its result (if any) is not an error;
// SIGINT makes claude exit 0 with is_error true, so the exit code alone never decides.
// stderrTail helps explain a failure when there is no result text. A failed or timed-out job
// whose record says the disk was full says "no space left on device" too.
Outcome decide_outcome(const ExitRecord& exit,
                       const std::optional<transcript::ResultSummary>& result, bool cancelRequested,
                       const std::string& stderrTail);

// The last non-empty line of a text, one-lined and short ("" when none).
std::string last_line(const std::string& text);

}  // namespace cj::jobs

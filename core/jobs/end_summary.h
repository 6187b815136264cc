// A job's end in a few words, the same wherever a wake-up or a short report says it: the
// Stop hook's paragraph, the channel notification, `claude-jobs wait --brief`, the events
// stream. The result text is data: it is quoted, cut and kept on one line, never phrased as
// an instruction.
#pragma once

#include <string>

#include "core/jobs/job_record.h"

namespace cj::jobs {

struct EndSummary {
    std::string jobId;
    std::string label;
    std::string state;       // "completed", "failed", ...
    std::string reason;      // one line
    std::string firstLines;  // the start of the result text, one line, at most kResultBytes
    double costUsd = 0;
    bool hasCost = false;
};

constexpr std::size_t kSummaryResultBytes = 300;

EndSummary summarize_end(const JobRecord& job);

// "claude-jobs job 01AB (label) completed (completed: exit code 0); cost $0.01; result:
// \"...\"." — one sentence.
std::string end_sentence(const EndSummary& end);

}  // namespace cj::jobs

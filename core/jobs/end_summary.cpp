#include "core/jobs/end_summary.h"

#include <cstdio>

#include "core/transcript/events.h"
#include "core/transcript/text.h"
#include "core/util/json_input.h"

namespace cj::jobs {

EndSummary summarize_end(const JobRecord& job) {
    EndSummary end;
    end.jobId = job.id;
    end.label = transcript::one_line(job.label, 80);
    end.state = state_name(job.state);
    end.reason = transcript::one_line(job.reason, 200);
    if (job.result.empty()) return end;
    auto result = transcript::ResultSummary::from_json(util::parse_json_or_discarded(job.result));
    if (!result) return end;
    end.firstLines = transcript::one_line(result->text, kSummaryResultBytes);
    end.costUsd = result->costUsd;
    end.hasCost = true;
    return end;
}

std::string end_sentence(const EndSummary& end) {
    std::string out = "claude-jobs job " + end.jobId;
    if (!end.label.empty()) out += " (" + end.label + ")";
    out += " " + end.state;
    if (!end.reason.empty() && end.reason != end.state) out += " (" + end.reason + ")";
    if (end.hasCost) {
        char cost[32];
        std::snprintf(cost, sizeof cost, "%.4f", end.costUsd);
        out += "; cost $" + std::string(cost);
    }
    if (!end.firstLines.empty()) out += "; its result begins: \"" + end.firstLines + "\"";
    return out + ".";
}

}  // namespace cj::jobs

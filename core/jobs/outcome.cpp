// Deciding how a job ended (see outcome.h).
#include "core/jobs/outcome.h"

#include <cstring>

#include "core/jobs/disk_full.h"
#include "core/transcript/text.h"

namespace cj::jobs {

using transcript::one_line;

namespace {
constexpr std::size_t kReasonBytes = 400;

std::string signal_label(const ExitRecord& exit) {
    if (!exit.signalName.empty()) return exit.signalName;
    const char* abbrev = sigabbrev_np(*exit.signal);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(*exit.signal);
}
}  // namespace

std::string last_line(const std::string& text) {
    std::size_t end = text.size();
    while (end > 0) {
        std::size_t start = text.rfind('\n', end - 1);
        std::size_t from = start == std::string::npos ? 0 : start + 1;
        std::string line = one_line(text.substr(from, end - from), kReasonBytes);
        if (!line.empty()) return line;
        if (start == std::string::npos) break;
        end = start;
    }
    return {};
}

namespace {
// The money and limit ends (docs/limits.md): the API refused the run for a usage limit, or the
// job's own maxBudgetUsd stopped it. nullopt for any other end.
std::optional<Outcome> limit_outcome(const std::optional<transcript::ResultSummary>& result) {
    if (!result) return std::nullopt;
    Outcome out;
    if (result->apiError == "usage_limit_reached" || result->rateLimit) {
        out.state = JobState::RateLimited;
        out.reason = "usage limit reached";
        if (result->rateLimit && !result->rateLimit->rateLimitType.empty())
            out.reason += " (" + result->rateLimit->rateLimitType + ")";
        if (result->rateLimit && result->rateLimit->resetsAt > 0)
            out.reason += "; resets at " + transcript::iso_utc(result->rateLimit->resetsAt);
        else if (!result->text.empty())
            out.reason += ": " + one_line(result->text, kReasonBytes);
        return out;
    }
    if (result->subtype == "error_max_budget_usd" || result->terminalReason == "budget_exhausted") {
        out.state = JobState::BudgetExceeded;
        out.reason = "budget spent";
        if (!result->errors.empty()) out.reason += ": " + one_line(result->errors, kReasonBytes);
        return out;
    }
    return std::nullopt;
}

Outcome decide(const ExitRecord& exit, const std::optional<transcript::ResultSummary>& result,
               bool cancelRequested, const std::string& stderrTail) {
    Outcome out;
    out.exitCode = exit.exitCode;
    if (!exit.launchError.empty()) {
        out.state = JobState::Failed;
        out.reason = one_line(exit.reason.empty() ? exit.launchError : exit.reason, kReasonBytes);
        return out;
    }
    if (exit.cancelled || (cancelRequested && (exit.signal || exit.exitCode.value_or(0) != 0))) {
        out.state = JobState::Cancelled;
        // A supervisor that was told to stop without a request from here: someone ended it
        // from outside (kill, or a scheduler's scancel).
        out.reason = cancelRequested ? "cancelled by request"
                                     : "cancelled from outside claude-jobs (its supervisor was "
                                       "told to stop: SIGTERM, or a scheduler's cancel)";
        return out;
    }
    if (exit.timedOut) {
        out.state = JobState::TimedOut;
        out.reason =
            one_line(exit.reason.empty() ? "ran past its time limit" : exit.reason, kReasonBytes);
        return out;
    }
    if (auto limited = limit_outcome(result)) {
        limited->exitCode = exit.exitCode;
        return *limited;
    }
    std::string detail;
    if (result && !result->text.empty()) detail = one_line(result->text, kReasonBytes);
    // The CLI's text for an API failure ("Invalid API key · …") does not carry the status.
    if (result && !result->apiErrorStatus.empty())
        detail = "API error " + result->apiErrorStatus + (detail.empty() ? "" : ": " + detail);
    if (detail.empty()) detail = last_line(stderrTail);
    if (exit.signal) {
        out.state = JobState::Failed;
        out.reason = "killed by " + signal_label(exit);
        if (!detail.empty()) out.reason += ": " + detail;
        return out;
    }
    int code = exit.exitCode.value_or(-1);
    if (code != 0) {
        out.state = JobState::Failed;
        out.reason = "exit code " + std::to_string(code);
        if (!detail.empty()) out.reason += ": " + detail;
        return out;
    }
    if (result && result->isError) {
        out.state = JobState::Failed;
        out.reason = "exit code 0 but claude reported an error (" + result->subtype + ")";
        if (!detail.empty()) out.reason += ": " + detail;
        return out;
    }
    out.state = JobState::Completed;
    out.reason = "completed: exit code 0";
    return out;
}
}  // namespace

Outcome decide_outcome(const ExitRecord& exit,
                       const std::optional<transcript::ResultSummary>& result, bool cancelRequested,
                       const std::string& stderrTail) {
    Outcome out = decide(exit, result, cancelRequested, stderrTail);
    // The runner found the job folder's disk full when claude exited: the likeliest cause.
    if (exit.noSpaceLeft && may_be_for_want_of_space(out.state))
        out.reason = with_no_space_note(one_line(out.reason, kReasonBytes - sizeof kNoSpaceText));
    return out;
}

}  // namespace cj::jobs

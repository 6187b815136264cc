#include "core/jobs/outcome.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/transcript/text.h"

namespace cj::jobs {

using nlohmann::json;
using transcript::one_line;

namespace {
constexpr std::size_t kReasonBytes = 400;

std::string signal_label(const ExitRecord& exit) {
    if (!exit.signalName.empty()) return exit.signalName;
    const char* abbrev = sigabbrev_np(*exit.signal);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(*exit.signal);
}
}  // namespace

std::optional<ExitRecord> parse_exit_record(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    ExitRecord r;
    auto int_field = [&](const char* key) -> std::optional<int> {
        auto it = j.find(key);
        if (it == j.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<int>();
    };
    auto str_field = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    r.exitCode = int_field("exitCode");
    r.signal = int_field("signal");
    r.signalName = str_field("signalName");
    // A damaged record must not throw: wrong types read as absent.
    auto flag = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_boolean() && it->get<bool>();
    };
    auto ms = [&](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    r.timedOut = flag("timedOut");
    r.cancelled = flag("cancelled");
    r.launchError = str_field("launchError");
    r.startedAt = ms("startedAt");
    r.endedAt = ms("endedAt");
    r.reason = str_field("reason");
    return r;
}

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

Outcome decide_outcome(const ExitRecord& exit, const std::optional<transcript::ResultSummary>& result,
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
        out.reason = "cancelled by request";
        return out;
    }
    if (exit.timedOut) {
        out.state = JobState::TimedOut;
        out.reason = one_line(exit.reason.empty() ? "ran past its time limit" : exit.reason,
                              kReasonBytes);
        return out;
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

}  // namespace cj::jobs

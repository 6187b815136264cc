#include "core/jobs/job_record.h"

namespace cj::jobs {

namespace {
struct StateName {
    JobState state;
    const char* name;
};
constexpr StateName kStates[] = {
    {JobState::Queued, "queued"},       {JobState::Running, "running"},
    {JobState::Completed, "completed"}, {JobState::Failed, "failed"},
    {JobState::Cancelled, "cancelled"}, {JobState::TimedOut, "timed_out"},
    {JobState::Orphaned, "orphaned"},   {JobState::RateLimited, "rate_limited"},
    {JobState::BudgetExceeded, "budget_exceeded"},
};
}  // namespace

const std::vector<JobState>& all_states() {
    static const std::vector<JobState> states = [] {
        std::vector<JobState> out;
        for (const auto& s : kStates) out.push_back(s.state);
        return out;
    }();
    return states;
}

const std::vector<std::string>& all_state_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& s : kStates) out.emplace_back(s.name);
        return out;
    }();
    return names;
}

const char* state_name(JobState state) {
    for (const auto& s : kStates)
        if (s.state == state) return s.name;
    return "failed";
}

std::optional<JobState> parse_state(const std::string& name) {
    for (const auto& s : kStates)
        if (name == s.name) return s.state;
    return std::nullopt;
}

bool is_terminal(JobState state) {
    return state != JobState::Queued && state != JobState::Running;
}

const char* task_status(JobState state) {
    switch (state) {
        case JobState::Queued:
        case JobState::Running:
            return "working";
        case JobState::Completed:
            return "completed";
        case JobState::Cancelled:
            return "cancelled";
        default:
            return "failed";
    }
}

}  // namespace cj::jobs

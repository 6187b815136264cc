#include "core/jobs/limit_gate.h"

#include <cstdio>

#include "core/jobs/sqlite_db.h"
#include "core/jobs/start_request.h"
#include "core/transcript/events.h"
#include "core/util/clock.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using sqlite::db_error;
using sqlite::Statement;

namespace {
constexpr std::int64_t kRecheckMs = 1000;
constexpr std::int64_t kDayMs = 86400000;
// A seven-day limit is the longest the API reports.
constexpr std::int64_t kLimitLookBackMs = 8 * kDayMs;

std::string usd(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.4f", v);
    return buf;
}
}  // namespace

Result<std::int64_t> latest_limit_reset(JobIndex& index, std::int64_t sinceMs) {
    std::int64_t latest = 0;
    auto r = index.read_with([&](sqlite3* db) -> Result<void> {
        Statement s(db, "SELECT result FROM jobs WHERE state = 'rate_limited' AND ended_at >= ?");
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, sinceMs);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            auto summary =
                transcript::ResultSummary::from_json(util::parse_json_or_discarded(s.text(0)));
            if (summary && summary->rateLimit && summary->rateLimit->resetsAt > latest)
                latest = summary->rateLimit->resetsAt;
        }
        if (rc != SQLITE_DONE) return db_error(db, "read usage limits");
        return {};
    });
    if (!r) return r.error();
    return latest;
}

std::optional<LimitHold> LimitGate::usage_limit_hold() {
    if (!config_.limits.queueWhileLimited) return std::nullopt;
    std::int64_t now = util::now_ms();
    auto reset = latest_limit_reset(index_, now - kLimitLookBackMs);
    if (!reset || *reset * 1000 <= now) return std::nullopt;
    return LimitHold{"a usage limit is in force until " + transcript::iso_utc(*reset),
                     *reset * 1000};
}

Result<double> LimitGate::committed_usd(std::optional<double>* oldestQueued) {
    auto active = index_.active();
    if (!active) return active.error();
    double sum = 0;
    for (const auto& job : *active) {
        auto budget = JobSettings::from_json(util::parse_json_or_discarded(job.spec)).maxBudgetUsd;
        if (job.state == JobState::Running) sum += budget.value_or(0);
        if (job.state == JobState::Queued && oldestQueued && !*oldestQueued)
            *oldestQueued = budget.value_or(0);
    }
    return sum;
}

// A budget that a job with budget `incoming` (nullopt: the oldest queued job) would pass.
std::optional<LimitHold> LimitGate::budget_hold(std::optional<double> incoming) {
    const auto& limits = config_.limits;
    std::int64_t now = util::now_ms();
    if (limits.maxDailyUsd) {
        auto spent = ledger_.spent_since(utc_day_start(now));
        if (spent && (*spent >= *limits.maxDailyUsd ||
                      (incoming && *spent + *incoming > *limits.maxDailyUsd)))
            return LimitHold{"daily budget limits.maxDailyUsd " + usd(*limits.maxDailyUsd) + ": " +
                                 usd(*spent) + " spent today (UTC)",
                             utc_day_start(now) + kDayMs};
    }
    if (limits.maxRunningUsd) {
        std::optional<double> queued;
        auto committed = committed_usd(incoming ? nullptr : &queued);
        double next = incoming ? *incoming : queued.value_or(0);
        if (committed && (incoming || queued) && *committed + next > *limits.maxRunningUsd)
            return LimitHold{"running budget limits.maxRunningUsd " + usd(*limits.maxRunningUsd) +
                                 ": " + usd(*committed) +
                                 " is the budget of the running jobs, and this job's is " +
                                 usd(next),
                             0};
    }
    return std::nullopt;
}

Result<Admission> LimitGate::admit(std::optional<double> budgetUsd) {
    if (auto over = budget_hold(budgetUsd.value_or(0))) {
        if (config_.limits.onBudget != "queue")
            return make_error(ErrorCode::LimitReached, "budget reached: " + over->why);
        return Admission::Queue;
    }
    return hold() ? Admission::Queue : Admission::Run;
}

std::optional<LimitHold> LimitGate::hold() {
    std::lock_guard lock(mutex_);
    std::int64_t now = util::now_ms();
    if (now - checkedAt_ < kRecheckMs) return cached_;
    checkedAt_ = now;
    cached_ = usage_limit_hold();
    if (!cached_ && config_.limits.onBudget == "queue") cached_ = budget_hold(std::nullopt);
    return cached_;
}

int LimitGate::slots(int configured) {
    return hold() ? 0 : configured;
}

}  // namespace cj::jobs

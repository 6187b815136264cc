// Tests of the budget and usage-limit gate: the daily and running budgets refuse or queue a
// start as configured, and a usage limit in force holds launches until its reset.
#include "core/jobs/limit_gate.h"

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::Admission;
using cj::jobs::JobState;
using cj::jobs::Ledger;
using cj::jobs::LimitGate;
using nlohmann::json;

void ended(cj::testing::JobWorld& w, const std::string& id, JobState state, const json& result) {
    ASSERT_TRUE(w.index->insert(w.draft(id), 1000));
    auto done = w.index->finish(id, state, 1, "ended", result.dump(), "", cj::util::now_ms());
    ASSERT_TRUE(done && *done);
}

json spent(double usd) {
    return {{"text", ""},
            {"sessionId", ""},
            {"isError", false},
            {"subtype", "success"},
            {"usage", {{"m", {{"costUsd", usd}}}}}};
}

json limited(std::int64_t resetsAtUnix) {
    return {
        {"text", ""},
        {"sessionId", ""},
        {"isError", true},
        {"subtype", "success"},
        {"apiError", "usage_limit_reached"},
        {"rateLimit",
         {{"status", "rejected"}, {"rateLimitType", "five_hour"}, {"resetsAtUnix", resetsAtUnix}}}};
}

TEST(LimitGate, ASpentDailyBudgetRefusesNamingTheBudgetAndTheSpend) {
    cj::testing::JobWorld w;
    w.config.limits.maxDailyUsd = 1.0;
    ended(w, "a", JobState::Completed, spent(1.0));
    Ledger ledger(*w.index);
    LimitGate gate(w.config, *w.index, ledger);
    auto admitted = gate.admit(std::nullopt);
    ASSERT_FALSE(admitted);
    EXPECT_EQ(admitted.error().code, claude_jobs::ErrorCode::LimitReached);
    EXPECT_NE(admitted.error().message.find("limits.maxDailyUsd $1.0000: $1.0000 spent today"),
              std::string::npos)
        << admitted.error().message;
}

TEST(LimitGate, AStartThatWouldPassTheDailyBudgetIsRefusedOrQueued) {
    cj::testing::JobWorld w;
    w.config.limits.maxDailyUsd = 1.0;
    ended(w, "a", JobState::Completed, spent(0.75));
    Ledger ledger(*w.index);
    {
        LimitGate gate(w.config, *w.index, ledger);
        EXPECT_EQ(*gate.admit(0.2), Admission::Run);
        EXPECT_FALSE(gate.admit(0.5));
    }
    w.config.limits.onBudget = "queue";
    LimitGate gate(w.config, *w.index, ledger);
    EXPECT_EQ(*gate.admit(0.5), Admission::Queue);
    EXPECT_EQ(gate.slots(4), 4);  // nothing spent past the budget yet: queued jobs may run
}

TEST(LimitGate, TheRunningBudgetCountsTheBudgetsOfRunningJobs) {
    cj::testing::JobWorld w;
    w.config.limits.maxRunningUsd = 1.0;
    auto draft = w.draft("r");
    draft.spec = json{{"maxBudgetUsd", 0.8}}.dump();
    ASSERT_TRUE(w.index->insert(draft, 1000));
    Ledger ledger(*w.index);
    LimitGate gate(w.config, *w.index, ledger);
    EXPECT_EQ(*gate.admit(0.1), Admission::Run);
    auto refused = gate.admit(0.5);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("limits.maxRunningUsd"), std::string::npos);
}

TEST(LimitGate, AUsageLimitInForceQueuesStartsAndHoldsLaunchesUntilItsReset) {
    cj::testing::JobWorld w;
    std::int64_t nowSec = cj::util::now_ms() / 1000;
    ended(w, "old", JobState::RateLimited, limited(nowSec - 10));
    Ledger ledger(*w.index);
    {
        LimitGate gate(w.config, *w.index, ledger);
        EXPECT_EQ(*gate.admit(std::nullopt), Admission::Run);  // that one has reset
    }
    ended(w, "new", JobState::RateLimited, limited(nowSec + 600));
    LimitGate gate(w.config, *w.index, ledger);
    EXPECT_EQ(*gate.admit(std::nullopt), Admission::Queue);
    EXPECT_EQ(gate.slots(4), 0);
    auto hold = gate.hold();
    ASSERT_TRUE(hold);
    EXPECT_EQ(hold->untilMs, (nowSec + 600) * 1000);
    EXPECT_NE(hold->why.find("usage limit is in force until"), std::string::npos);
}

TEST(LimitGate, QueueWhileLimitedOffLetsStartsRun) {
    cj::testing::JobWorld w;
    w.config.limits.queueWhileLimited = false;
    ended(w, "new", JobState::RateLimited, limited(cj::util::now_ms() / 1000 + 600));
    Ledger ledger(*w.index);
    LimitGate gate(w.config, *w.index, ledger);
    EXPECT_EQ(*gate.admit(std::nullopt), Admission::Run);
}

}  // namespace

// Tests of the cost ledger: ended jobs are taken in once (by model, with their label,
// backend and owner), totals add up by grouping, a job list's totals, and the removal of a
// job's row (retention) keeps its cost.
#include "core/jobs/ledger.h"

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::JobState;
using cj::jobs::Ledger;
using cj::jobs::UsageQuery;
using nlohmann::json;

// An ended job whose result says what each model cost.
void ended_with_cost(cj::testing::JobWorld& w, const std::string& id, const std::string& label,
                     const json& usage, std::int64_t endedAt = cj::util::now_ms()) {
    auto draft = w.draft(id);
    draft.label = label;
    draft.owner.client = "client-a";
    ASSERT_TRUE(w.index->insert(draft, 1000));
    json result = {{"text", "done"},
                   {"sessionId", ""},
                   {"isError", false},
                   {"subtype", "success"},
                   {"usage", usage}};
    auto done =
        w.index->finish(id, JobState::Completed, 0, "completed", result.dump(), "", endedAt);
    ASSERT_TRUE(done && *done);
}

json cost(double usd, int in, int out, const char* model = "claude-sonnet-4-5") {
    return {{model,
             {{"costUsd", usd},
              {"inputTokens", in},
              {"outputTokens", out},
              {"cacheReadTokens", 1},
              {"cacheWriteTokens", 2}}}};
}

TEST(Ledger, TakesInEachEndedJobOnceAndAddsItUp) {
    cj::testing::JobWorld w;
    ended_with_cost(w, "a", "x", cost(0.25, 100, 10));
    json two = cost(0.5, 200, 20);
    two.update(cost(0.125, 50, 5, "claude-haiku-5-5"));
    ended_with_cost(w, "b", "y", two);
    w.add_running("c");  // not ended: not in the ledger
    Ledger ledger(*w.index);
    auto taken = ledger.settle();
    ASSERT_TRUE(taken);
    EXPECT_EQ(*taken, 2);
    EXPECT_EQ(*ledger.settle(), 0);  // once
    auto report = ledger.report(UsageQuery{});
    ASSERT_TRUE(report);
    EXPECT_DOUBLE_EQ(report->total.costUsd, 0.875);
    EXPECT_EQ(report->total.inputTokens, 350);
    EXPECT_EQ(report->total.outputTokens, 35);
    EXPECT_EQ(report->total.cacheReadTokens, 3);
    EXPECT_EQ(report->total.jobs, 2);
}

TEST(Ledger, GroupsByLabelModelAndOwner) {
    cj::testing::JobWorld w;
    ended_with_cost(w, "a", "x", cost(0.25, 100, 10));
    ended_with_cost(w, "b", "x", cost(0.5, 200, 20, "claude-haiku-5-5"));
    ended_with_cost(w, "c", "y", cost(1.0, 1, 1));
    Ledger ledger(*w.index);
    UsageQuery q;
    q.by = "label";
    auto byLabel = ledger.report(q);
    ASSERT_TRUE(byLabel);
    ASSERT_EQ(byLabel->groups.size(), 2u);
    EXPECT_EQ(byLabel->groups[0].key, "x");
    EXPECT_DOUBLE_EQ(byLabel->groups[0].costUsd, 0.75);
    EXPECT_EQ(byLabel->groups[0].jobs, 2);
    q.by = "model";
    auto byModel = ledger.report(q);
    ASSERT_EQ(byModel->groups.size(), 2u);
    EXPECT_EQ(byModel->groups[0].key, "claude-haiku-5-5");
    q.by = "owner";
    EXPECT_EQ(ledger.report(q)->groups.at(0).key, "client-a");
    q.by = "nonsense";
    EXPECT_FALSE(ledger.report(q));
}

TEST(Ledger, TotalsForSomeJobsAndSinceATime) {
    cj::testing::JobWorld w;
    std::int64_t now = cj::util::now_ms();
    ended_with_cost(w, "old", "", cost(2.0, 1, 1), now - 3 * 86400000LL);
    ended_with_cost(w, "new", "", cost(0.5, 1, 1), now);
    Ledger ledger(*w.index);
    UsageQuery some;
    some.onlyJobs = true;
    some.jobIds = {"old"};
    EXPECT_DOUBLE_EQ(ledger.report(some)->total.costUsd, 2.0);
    some.jobIds = {};
    EXPECT_DOUBLE_EQ(ledger.report(some)->total.costUsd, 0.0);
    EXPECT_DOUBLE_EQ(*ledger.spent_since(cj::jobs::utc_day_start(now)), 0.5);
    UsageQuery byDay;
    byDay.by = "day";
    auto days = ledger.report(byDay);
    ASSERT_EQ(days->groups.size(), 2u);
    EXPECT_EQ(days->groups[1].key, cj::jobs::utc_day(now));
}

TEST(Ledger, KeepsTheCostOfAJobWhoseRowIsRemoved) {
    cj::testing::JobWorld w;
    ended_with_cost(w, "a", "", cost(0.25, 1, 1));
    Ledger ledger(*w.index);
    ASSERT_TRUE(ledger.settle());
    ASSERT_TRUE(w.index->remove("a"));
    EXPECT_DOUBLE_EQ(ledger.report(UsageQuery{})->total.costUsd, 0.25);
}

TEST(Ledger, UtcDays) {
    EXPECT_EQ(cj::jobs::utc_day(86400000LL + 5), "1970-01-02");
    EXPECT_EQ(cj::jobs::utc_day_start(86400000LL + 5), 86400000LL);
}

}  // namespace

// Tests of what the event scanner makes of claude's money and limit events: a usage-limit
// refusal (rate_limit_event, then the api_error result), a warning, retries, and the cost of
// a run by model across several result events and across --resume (docs/claude-cli-notes.md).
#include "core/transcript/limit_events.h"

#include <gtest/gtest.h>

#include "core/transcript/events.h"

namespace {

using cj::transcript::EventScanner;
using nlohmann::json;

std::string line(const json& j) {
    return j.dump() + "\n";
}

json model_usage(double cost, int in, int out) {
    return {{"claude-sonnet-4-5",
             {{"inputTokens", in},
              {"outputTokens", out},
              {"cacheReadInputTokens", 7},
              {"cacheCreationInputTokens", 3},
              {"costUSD", cost}}}};
}

TEST(LimitEvents, ARefusalForAUsageLimitCarriesItsResetAndType) {
    EventScanner s;
    s.feed(line({{"type", "system"}, {"subtype", "init"}, {"session_id", "s1"}}));
    s.feed(line(
        {{"type", "rate_limit_event"},
         {"rate_limit_info",
          {{"status", "rejected"}, {"resetsAt", 1796406987}, {"rateLimitType", "five_hour"}}}}));
    s.feed(line({{"type", "result"},
                 {"subtype", "success"},
                 {"is_error", true},
                 {"terminal_reason", "api_error"},
                 {"api_error_status", 429},
                 {"api_error", "usage_limit_reached"},
                 {"result", "You've hit your 5-hour limit"},
                 {"total_cost_usd", 0},
                 {"modelUsage", json::object()}}));
    ASSERT_TRUE(s.result());
    ASSERT_TRUE(s.result()->rateLimit);
    EXPECT_EQ(s.result()->rateLimit->resetsAt, 1796406987);
    EXPECT_EQ(s.result()->rateLimit->rateLimitType, "five_hour");
    EXPECT_EQ(s.result()->terminalReason, "api_error");
    EXPECT_EQ(s.result()->apiError, "usage_limit_reached");
    // Kept in the index as the view's JSON and read back the same.
    auto back = cj::transcript::ResultSummary::from_json(s.result()->to_json());
    ASSERT_TRUE(back && back->rateLimit);
    EXPECT_EQ(back->rateLimit->resetsAt, 1796406987);
    EXPECT_EQ(back->rateLimit->to_json()["resetsAt"], "2026-12-04T17:56:27Z");
    EXPECT_EQ(back->apiError, "usage_limit_reached");
}

TEST(LimitEvents, RetriesAndWarningsShowInTheActivity) {
    EventScanner s;
    s.feed(line({{"type", "system"},
                 {"subtype", "api_retry"},
                 {"attempt", 2},
                 {"max_retries", 10},
                 {"retry_delay_ms", 1008},
                 {"error_status", 529},
                 {"error", "overloaded"}}));
    ASSERT_TRUE(s.activity().retry);
    EXPECT_EQ(s.activity().retry->attempt, 2);
    EXPECT_EQ(s.activity().retry->errorStatus, "529");
    EXPECT_EQ(s.activity().retry->to_json()["delayMs"], 1008);
    s.feed(line({{"type", "rate_limit_event"},
                 {"rate_limit_info",
                  {{"status", "allowed_warning"},
                   {"resetsAt", 1796412131},
                   {"rateLimitType", "five_hour"},
                   {"utilization", 0.8}}}}));
    s.feed(line({{"type", "assistant"},
                 {"message", {{"id", "m1"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}}}}));
    EXPECT_FALSE(s.activity().retry);  // a turn was answered
    ASSERT_TRUE(s.activity().rateLimit);
    EXPECT_EQ(s.activity().rateLimit->status, "allowed_warning");
    EXPECT_DOUBLE_EQ(*s.activity().rateLimit->utilization, 0.8);
}

TEST(LimitEvents, ARunCostsWhatItsResultEventsAdd) {
    EventScanner s;
    // A resumed session: modelUsage is cumulative (it holds an earlier run's 0.0045), the
    // increment since the last result is this run's.
    s.feed(line({{"type", "result"},
                 {"subtype", "success"},
                 {"total_cost_usd", 0.012},
                 {"modelUsage", model_usage(0.012, 300, 30)},
                 {"model_usage_since_last_result", model_usage(0.0075, 200, 20)}}));
    EXPECT_DOUBLE_EQ(cj::transcript::total_cost(s.result()->usage), 0.0075);
    // A second result of the same process without the increment field: the difference.
    s.feed(line({{"type", "result"},
                 {"subtype", "success"},
                 {"total_cost_usd", 0.02},
                 {"modelUsage", model_usage(0.02, 500, 50)}}));
    const auto& u = s.result()->usage.at("claude-sonnet-4-5");
    EXPECT_NEAR(u.costUsd, 0.0155, 1e-12);
    EXPECT_EQ(u.inputTokens, 400);
    EXPECT_EQ(u.outputTokens, 40);
}

TEST(LimitEvents, IsoTimesAreUtc) {
    EXPECT_EQ(cj::transcript::iso_utc(0), "1970-01-01T00:00:00Z");
}

}  // namespace

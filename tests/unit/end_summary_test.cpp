// Tests of a job's end in a few words (the Stop hook's paragraph, the channel notification):
// id, label, state, reason, cost and the start of the result, on one line and cut; the
// channel's meta values are all strings.
#include "core/jobs/end_summary.h"

#include <gtest/gtest.h>

#include "core/jobs/channel_notifier.h"
#include "core/transcript/events.h"

namespace {

using cj::jobs::JobRecord;
using cj::jobs::JobState;

JobRecord ended_job(const std::string& resultText) {
    JobRecord job;
    job.id = "01ABC";
    job.label = "nightly\nbuild";
    job.state = JobState::Completed;
    job.reason = "completed: exit code 0";
    cj::transcript::ResultSummary result;
    result.text = resultText;
    result.costUsd = 0.0123;
    job.result = result.to_json().dump();
    return job;
}

TEST(EndSummaryTest, OneSentenceWithStateReasonCostAndTheStartOfTheResult) {
    auto end = cj::jobs::summarize_end(ended_job("All tests pass.\nDetails follow."));
    std::string sentence = cj::jobs::end_sentence(end);
    EXPECT_EQ(sentence,
              "claude-jobs job 01ABC (nightly build) completed (completed: exit code 0); cost "
              "$0.0123; its result begins: \"All tests pass. Details follow.\".");
    EXPECT_EQ(sentence.find('\n'), std::string::npos);
}

TEST(EndSummaryTest, ALongResultIsCutAndAJobWithoutOneSaysNoResult) {
    auto end = cj::jobs::summarize_end(ended_job(std::string(5000, 'x')));
    EXPECT_LE(end.firstLines.size(), cj::jobs::kSummaryResultBytes + 4);
    JobRecord failed;
    failed.id = "f1";
    failed.state = JobState::Failed;
    failed.reason = "killed by SIGKILL";
    EXPECT_EQ(cj::jobs::end_sentence(cj::jobs::summarize_end(failed)),
              "claude-jobs job f1 failed (killed by SIGKILL).");
}

TEST(EndSummaryTest, ChannelParamsHaveContentAndStringValuedMeta) {
    auto params = cj::jobs::channel_params(ended_job("ok"));
    ASSERT_TRUE(params["content"].is_string());
    EXPECT_NE(params["content"].get<std::string>().find("01ABC"), std::string::npos);
    const auto& meta = params["meta"];
    EXPECT_EQ(meta["job_id"], "01ABC");
    EXPECT_EQ(meta["status"], "completed");
    EXPECT_EQ(meta["cost_usd"], "0.0123");
    for (const auto& [key, value] : meta.items()) EXPECT_TRUE(value.is_string()) << key;
}

TEST(EndSummaryTest, AwaitingParamsSayWhatTheInteractiveJobWaitsFor) {
    JobRecord job = ended_job("");
    job.state = JobState::Running;
    cj::jobs::InteractiveState waiting{"waiting_for_input", "", "Which file?\nA or B", ""};
    auto w = cj::jobs::awaiting_params(job, waiting);
    EXPECT_EQ(w["meta"]["status"], "waiting_for_input");
    EXPECT_NE(w["content"].get<std::string>().find("Which file? A or B"), std::string::npos);
    cj::jobs::InteractiveState asking{"asking", "Allow Bash?", "", ""};
    auto a = cj::jobs::awaiting_params(job, asking);
    EXPECT_EQ(a["meta"]["status"], "asking");
    EXPECT_NE(a["content"].get<std::string>().find("asks: \"Allow Bash?\""), std::string::npos);
    for (const auto& [key, value] : a["meta"].items()) EXPECT_TRUE(value.is_string()) << key;
}

}  // namespace

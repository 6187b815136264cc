// Tests of resume after a usage limit: a rate_limited job that asked for it is scheduled at
// its reset plus the margin and resumed once (a linked job on the same session, by an
// idempotent start); one that did not ask, or whose chain used its resumes, is not.
#include "core/jobs/resumer.h"

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::JobState;
using cj::jobs::Resumer;
using cj::jobs::StartOutcome;
using cj::jobs::StartRequest;
using nlohmann::json;

void rate_limited(cj::testing::JobWorld& w, const std::string& id, const json& spec,
                  std::int64_t resetsAtUnix) {
    auto draft = w.draft(id);
    draft.spec = spec.dump();
    draft.label = "nightly";
    ASSERT_TRUE(w.index->insert(draft, 1000));
    json result = {{"text", ""},
                   {"sessionId", "s"},
                   {"isError", true},
                   {"subtype", "success"},
                   {"apiError", "usage_limit_reached"},
                   {"rateLimit", {{"status", "rejected"}, {"resetsAtUnix", resetsAtUnix}}}};
    auto done = w.index->finish(id, JobState::RateLimited, 1, "usage limit", result.dump(), "s",
                                cj::util::now_ms());
    ASSERT_TRUE(done && *done);
}

struct Starts {
    std::vector<StartRequest> seen;
    claude_jobs::Result<StartOutcome> operator()(const StartRequest& r) {
        seen.push_back(r);
        StartOutcome out;
        out.job.id = "resumed-" + std::to_string(seen.size());
        return out;
    }
};

TEST(Resumer, ResumesADueJobOnceOnItsSessionAsALinkedJob) {
    cj::testing::JobWorld w;
    w.config.limits.resumeMarginSec = 0;
    rate_limited(w, "a", {{"resumeAfterLimit", true}, {"model", "m"}, {"timeoutSec", 30}},
                 cj::util::now_ms() / 1000 - 1);
    Starts starts;
    Resumer(w.config, *w.index, std::ref(starts)).pump();
    ASSERT_EQ(starts.seen.size(), 1u);
    const StartRequest& r = starts.seen[0];
    EXPECT_EQ(r.resumeJobId, "a");
    EXPECT_EQ(r.resumeOf, "a");
    EXPECT_EQ(r.resumeAttempt, 1);
    EXPECT_EQ(r.idempotencyKey, "resume-of:a");
    EXPECT_EQ(r.prompt, cj::jobs::kContinuationPrompt);
    EXPECT_EQ(r.model, "m");
    EXPECT_EQ(r.timeoutSec, 30);
    EXPECT_EQ(r.label, "nightly");
    EXPECT_TRUE(r.resumeAfterLimit.value_or(false));
    Resumer again(w.config, *w.index, std::ref(starts));
    again.pump();
    EXPECT_EQ(starts.seen.size(), 1u);  // once, also for another server
    auto entry = again.of("a");
    ASSERT_TRUE(entry && *entry);
    EXPECT_EQ((*entry)->state, "resumed");
    EXPECT_EQ((*entry)->resumedAs, "resumed-1");
}

TEST(Resumer, WaitsForTheResetPlusTheMargin) {
    cj::testing::JobWorld w;
    w.config.limits.resumeMarginSec = 30;
    std::int64_t reset = cj::util::now_ms() / 1000 - 1;
    rate_limited(w, "a", {{"resumeAfterLimit", true}}, reset);
    Starts starts;
    Resumer resumer(w.config, *w.index, std::ref(starts));
    resumer.pump();
    EXPECT_TRUE(starts.seen.empty());
    auto entry = resumer.of("a");
    ASSERT_TRUE(entry && *entry);
    EXPECT_EQ((*entry)->state, "scheduled");
    EXPECT_EQ((*entry)->dueAt, (reset + 30) * 1000);
}

TEST(Resumer, LeavesJobsThatDidNotAskOrUsedTheirResumes) {
    cj::testing::JobWorld w;
    w.config.limits.resumeMarginSec = 0;
    w.config.limits.maxResumes = 2;
    std::int64_t past = cj::util::now_ms() / 1000 - 1;
    rate_limited(w, "quiet", json::object(), past);
    rate_limited(w, "tired", {{"resumeAfterLimit", true}, {"resumeOf", "x"}, {"resumeAttempt", 2}},
                 past);
    Starts starts;
    Resumer resumer(w.config, *w.index, std::ref(starts));
    resumer.pump();
    EXPECT_TRUE(starts.seen.empty());
    EXPECT_EQ((*resumer.of("quiet"))->state, "off");
    EXPECT_EQ((*resumer.of("tired"))->state, "exhausted");
}

TEST(Resumer, ARetryableStartIsTriedAgain) {
    cj::testing::JobWorld w;
    w.config.limits.resumeMarginSec = 0;
    rate_limited(w, "a", {{"resumeAfterLimit", true}}, cj::util::now_ms() / 1000 - 1);
    int calls = 0;
    auto busy = [&](const StartRequest&) -> claude_jobs::Result<StartOutcome> {
        ++calls;
        return claude_jobs::make_error(claude_jobs::ErrorCode::Unavailable, "busy", 0, true);
    };
    Resumer(w.config, *w.index, busy).pump();
    Resumer resumer(w.config, *w.index, busy);
    resumer.pump();
    EXPECT_EQ(calls, 2);
    EXPECT_EQ((*resumer.of("a"))->state, "scheduled");
}

}  // namespace

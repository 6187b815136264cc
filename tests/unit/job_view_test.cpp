// Tests of the typed job view: the result bounded (text cut at a character boundary, the
// denials capped, both flagged), the transcript's tail and its pages since an offset (the
// cursor always moves, even past an event too long to show), an interactive job's state,
// the stderr tail, and the attach command of a backend that has one.
#include "core/jobs/job_view.h"

#include <climits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/job_world.h"
#include "support/stream_json.h"

namespace {

using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::JobView;
using cj::jobs::ViewBuilder;
using cj::jobs::ViewOptions;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using nlohmann::json;
namespace sj = cj::testing::stream_json;

class JobViewTest : public ::testing::Test {
  protected:
    static JobRecord job(const std::string& id, JobState state = JobState::Running,
                         const std::string& backend = "fake") {
        JobRecord r;
        r.id = id;
        r.state = state;
        r.backend = backend;
        r.workFolder = "/work";
        r.createdAt = cj::util::now_ms();
        return r;
    }
    JobView build(const JobRecord& r, const ViewOptions& options = {}) {
        return views_.build(r, options);
    }
    void write_log(const std::string& id, const std::string& text) {
        w_.write_file(id, "events.jsonl", text);
    }
    static std::string rendered(const std::string& log) {
        return cj::transcript::render_lines(log, SIZE_MAX).text;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"tmux", {.attach = true, .sendInput = true}}}};
    ViewBuilder views_{w_.events, *w_.backends, w_.dirs};
};

TEST_F(JobViewTest, ResultTextIsCutToResultBytes) {
    std::string text;
    for (int i = 0; i < 50; ++i) text += "é";  // 100 bytes
    write_log("j1", sj::text("working") + sj::result(text));
    ViewOptions options;
    options.resultBytes = 11;
    JobView v = build(job("j1", JobState::Completed), options);
    ASSERT_TRUE(v.result.has_value());
    EXPECT_EQ(v.result->summary.text, text.substr(0, 10)) << "cut before a split character";
    EXPECT_TRUE(v.result->truncated);
    EXPECT_EQ(v.result->textBytes, 100u);
    EXPECT_EQ(v.result->summary.subtype, "success");

    options.resultBytes = 100;
    v = build(job("j1", JobState::Completed), options);
    EXPECT_EQ(v.result->summary.text, text);
    EXPECT_FALSE(v.result->truncated);
    EXPECT_FALSE(v.result->textBytes.has_value());
}

TEST_F(JobViewTest, DefaultResultBoundIsTheTailOrSixteenKiB) {
    write_log("j1", sj::result(std::string(20000, 'r')));
    ViewOptions options;
    options.tailBytes = 100;
    JobView v = build(job("j1", JobState::Completed), options);
    ASSERT_TRUE(v.result.has_value());
    EXPECT_EQ(v.result->summary.text.size(), 16u << 10);
    EXPECT_EQ(v.result->textBytes, 20000u);

    options.tailBytes = 30000;
    v = build(job("j1", JobState::Completed), options);
    EXPECT_EQ(v.result->summary.text.size(), 20000u);
    EXPECT_FALSE(v.result->truncated);
}

TEST_F(JobViewTest, PermissionDenialsAreCappedAtTwenty) {
    json denials = json::array();
    for (int i = 0; i < 25; ++i) denials.push_back({{"tool_name", "Tool" + std::to_string(i)}});
    write_log("j1", sj::result("done", false, "sess-1", denials));
    JobView v = build(job("j1", JobState::Completed));
    ASSERT_TRUE(v.result.has_value());
    ASSERT_EQ(v.result->summary.permissionDenials.size(), 20u);
    EXPECT_EQ(v.result->summary.permissionDenials[19]["tool_name"], "Tool19");
    EXPECT_TRUE(v.result->truncated);
    EXPECT_FALSE(v.result->textBytes.has_value()) << "the text itself was whole";
}

TEST_F(JobViewTest, ResultComesFromTheRowWhenTheLogHasNone) {
    JobRecord r = job("j1", JobState::Completed);
    cj::transcript::ResultSummary summary;
    summary.text = "from the index";
    summary.subtype = "success";
    r.result = summary.to_json().dump();
    JobView v = build(r);
    ASSERT_TRUE(v.result.has_value());
    EXPECT_EQ(v.result->summary.text, "from the index");

    EXPECT_FALSE(build(job("j2")).result.has_value());
}

TEST_F(JobViewTest, ActivityAndSessionComeFromTheLog) {
    write_log("j1", sj::init("sess-log") + sj::text("thinking") + sj::tool("make test"));
    JobView v = build(job("j1"));
    EXPECT_EQ(v.activity.turns, 2);
    EXPECT_EQ(v.activity.lastText, "thinking");
    EXPECT_EQ(v.activity.lastTool, "Bash: make test");
    EXPECT_EQ(v.sessionId, "sess-log");
    JobRecord r = job("j1");
    r.sessionId = "sess-row";
    EXPECT_EQ(build(r).sessionId, "sess-row") << "the recorded session wins";
}

TEST_F(JobViewTest, TheFinalAnswerIsReadOnceInResultText) {
    std::string answer = "All done.\nThe tests pass.";
    write_log("j1", sj::init("s") + sj::text("looking") + sj::tool("make test") +
                        sj::text(answer) + sj::result(answer));
    JobView v = build(job("j1", JobState::Completed));
    ASSERT_TRUE(v.result.has_value());
    EXPECT_EQ(v.result->summary.text, answer);
    EXPECT_EQ(v.activity.lastText, "") << "result.text holds it";
    EXPECT_EQ(v.output.find("The tests pass."), std::string::npos) << v.output;
    EXPECT_EQ(v.output.find("[done: "), std::string::npos) << v.output;
    EXPECT_NE(v.output.find("looking\n"), std::string::npos) << v.output;
    EXPECT_EQ(v.output.substr(v.output.size() - 32), "[the final answer: result.text]\n") << v.output;

    // A small tail still leaves the answer out, and says where it is.
    ViewOptions small;
    small.tailBytes = 52;
    v = build(job("j1", JobState::Completed), small);
    EXPECT_EQ(v.output, "▸ Bash: make test\n[the final answer: result.text]\n") << v.output;

    // A running job keeps its last text: there is no result yet.
    write_log("j2", sj::text("halfway there"));
    v = build(job("j2"));
    EXPECT_EQ(v.activity.lastText, "halfway there");
    EXPECT_EQ(v.output, "halfway there\n");
}

TEST_F(JobViewTest, ACutResultLeavesTheTailWhole) {
    std::string answer(20000, 'a');
    write_log("j1", sj::text(answer) + sj::result(answer));
    ViewOptions options;
    options.tailBytes = 100;
    JobView v = build(job("j1", JobState::Completed), options);
    ASSERT_TRUE(v.result->truncated);
    EXPECT_NE(v.output.find("aaaa"), std::string::npos) << "the tail shows the answer's end";
}

TEST_F(JobViewTest, TailIsTheEndOfTheTranscript) {
    std::string log;
    for (int i = 0; i < 500; ++i) log += sj::text("line " + std::to_string(i));
    write_log("j1", log);
    ViewOptions options;
    options.tailBytes = 200;
    JobView v = build(job("j1"), options);
    std::string all = rendered(log);
    EXPECT_LE(v.output.size(), 200u);
    EXPECT_GT(v.output.size(), 150u);
    EXPECT_EQ(v.output, all.substr(all.size() - v.output.size()));
    EXPECT_EQ(v.nextOffset, log.size());
}

// The end of a log may be all tool results (not shown): the window widens to find text.
TEST_F(JobViewTest, TailWindowWidensPastEventsThatShowNothing) {
    std::string log;
    for (int i = 0; i < 20; ++i) log += sj::text("line " + std::to_string(i));
    std::string result =
        R"({"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":")" +
        std::string(1000, 'o') + "\"}]}}\n";
    for (int i = 0; i < 100; ++i) log += result;  // 100 KB that render as nothing
    write_log("j1", log);
    ViewOptions options;
    options.tailBytes = 50;
    JobView v = build(job("j1"), options);
    EXPECT_NE(v.output.find("line 19\n"), std::string::npos) << v.output;
    EXPECT_LE(v.output.size(), 50u);
    EXPECT_EQ(v.nextOffset, log.size());
}

TEST_F(JobViewTest, NoTailAsked) {
    write_log("j1", sj::text("hello"));
    ViewOptions options;
    options.tailBytes = 0;
    JobView v = build(job("j1"), options);
    EXPECT_EQ(v.output, "");
    EXPECT_EQ(v.nextOffset, sj::text("hello").size());
}

TEST_F(JobViewTest, PagesSinceAnOffsetCoverTheWholeTranscript) {
    std::string log = sj::init("sess-1");
    for (int i = 0; i < 40; ++i) log += sj::text("step " + std::to_string(i) + " of the work");
    write_log("j1", log);
    ViewOptions options;
    options.tailBytes = 60;
    std::string joined;
    std::uint64_t offset = 0;
    int pages = 0;
    while (offset < log.size()) {
        options.sinceOffset = offset;
        JobView v = build(job("j1"), options);
        ASSERT_GT(v.nextOffset, offset) << "the cursor must move";
        ASSERT_LE(v.nextOffset, log.size());
        joined += v.output;
        offset = v.nextOffset;
        ASSERT_LT(++pages, 100);
    }
    EXPECT_GT(pages, 5) << "pages are bounded by tailBytes";
    EXPECT_EQ(joined, rendered(log));

    options.sinceOffset = log.size() + 100;  // past the end: nothing new
    JobView v = build(job("j1"), options);
    EXPECT_EQ(v.output, "");
    EXPECT_EQ(v.nextOffset, log.size());
}

TEST_F(JobViewTest, AnEventLongerThanTheWindowIsSteppedOver) {
    std::string before = sj::text("before");
    std::string huge = sj::text(std::string((1 << 20) + 1000, 'h'));
    std::string after = sj::text("after");
    write_log("j1", before + huge + after);
    ViewOptions options;
    options.tailBytes = 100;
    options.sinceOffset = before.size();
    JobView v = build(job("j1"), options);
    EXPECT_EQ(v.output,
              "[an event of " + std::to_string(huge.size()) + " bytes is too long to show]\n");
    EXPECT_EQ(v.nextOffset, before.size() + huge.size());

    options.sinceOffset = v.nextOffset;
    v = build(job("j1"), options);
    EXPECT_EQ(v.output, "after\n");
}

TEST_F(JobViewTest, InteractiveStateIsShown) {
    w_.write_file("j1", "interactive.jsonl",
                  R"({"event":"SessionStart"})"
                  "\n"
                  R"({"event":"Stop","lastText":"Which file should I change?"})"
                  "\n");
    JobView v = build(job("j1", JobState::Running, "tmux"));
    ASSERT_TRUE(v.interactive.has_value());
    EXPECT_EQ(v.interactive->state, "waiting_for_input");
    EXPECT_EQ(v.interactive->lastText, "Which file should I change?");

    EXPECT_FALSE(build(job("j2")).interactive.has_value()) << "no file: not interactive";
}

TEST_F(JobViewTest, AnEndedInteractiveJobShowsEnded) {
    w_.write_file(
        "j1", "interactive.jsonl",
        R"({"event":"Notification","notificationType":"permission_prompt","message":"Allow Bash?"})"
        "\n");
    JobView running = build(job("j1", JobState::Running, "tmux"));
    ASSERT_TRUE(running.interactive.has_value());
    EXPECT_EQ(running.interactive->state, "asking");
    EXPECT_EQ(running.interactive->question, "Allow Bash?");

    JobView ended = build(job("j1", JobState::Cancelled, "tmux"));
    ASSERT_TRUE(ended.interactive.has_value());
    EXPECT_EQ(ended.interactive->state, "ended");
    EXPECT_EQ(ended.interactive->question, "");
}

TEST_F(JobViewTest, InteractiveLastAnswerIsBounded) {
    nlohmann::json stop = {{"event", "Stop"}, {"lastText", std::string(20000, 'a')}};
    nlohmann::json fail = {{"event", "StopFailure"}, {"error", "line\n" + std::string(900, 'e')}};
    w_.write_file("j1", "interactive.jsonl", stop.dump() + "\n" + fail.dump() + "\n");
    JobView v = build(job("j1", JobState::Running, "tmux"));
    ASSERT_TRUE(v.interactive.has_value());
    EXPECT_LE(v.interactive->error.size(), 500u);
    EXPECT_EQ(v.interactive->error.find('\n'), std::string::npos);
    w_.write_file("j1", "interactive.jsonl", stop.dump() + "\n");
    v = build(job("j1", JobState::Running, "tmux"));
    EXPECT_EQ(v.interactive->lastText.size(), 16u << 10);
}

TEST_F(JobViewTest, StderrTailIsShownAndBounded) {
    w_.write_file("j1", "stderr.log", "warning: slow disk\n");
    EXPECT_EQ(build(job("j1")).stderrTail, "warning: slow disk\n");
    std::string lots(5000, 's');
    lots += "the end\n";
    w_.write_file("j1", "stderr.log", lots);
    std::string tail = build(job("j1")).stderrTail;
    EXPECT_EQ(tail.size(), 2000u);
    EXPECT_EQ(tail, lots.substr(lots.size() - 2000));
    EXPECT_EQ(build(job("j2")).stderrTail, "");
}

TEST_F(JobViewTest, AttachComesFromABackendWithTheCapability) {
    EXPECT_EQ(build(job("t1", JobState::Running, "tmux")).attach,
              cj::testing::FakeBackend::attach_command_for("t1"));
    EXPECT_EQ(build(job("t2", JobState::Completed, "tmux")).attach,
              cj::testing::FakeBackend::attach_command_for("t2"))
        << "while the backend keeps something to attach to";
    EXPECT_EQ(build(job("t3", JobState::Queued, "tmux")).attach, "");
    EXPECT_EQ(w_.fake("tmux").count("attachCommand", "t3"), 0);
    EXPECT_EQ(build(job("f1", JobState::Running, "fake")).attach, "");
    EXPECT_EQ(w_.fake("fake").count("attachCommand"), 0) << "not asked without the capability";
    EXPECT_EQ(build(job("e1", JobState::Running, "elsewhere")).attach, "");
}

TEST_F(JobViewTest, ElapsedRunsFromStartToEnd) {
    JobRecord r = job("j1", JobState::Completed);
    r.createdAt = 500;
    r.startedAt = 1000;
    r.endedAt = 4500;
    EXPECT_EQ(build(r).elapsedMs, 3500);
    JobRecord queued = job("j2", JobState::Queued);
    queued.createdAt = cj::util::now_ms() - 2000;
    EXPECT_GE(build(queued).elapsedMs, 2000);
    EXPECT_LT(build(queued).elapsedMs, 60000);
}

TEST_F(JobViewTest, TheRowIsCarried) {
    JobRecord r = job("j1", JobState::Failed);
    r.reason = "exit code 1";
    r.exitCode = 1;
    r.label = "nightly";
    JobView v = build(r);
    EXPECT_EQ(v.job.id, "j1");
    EXPECT_EQ(v.job.reason, "exit code 1");
    EXPECT_EQ(v.job.exitCode, 1);
    EXPECT_EQ(v.job.label, "nightly");
    EXPECT_EQ(v.message, "");
}

}  // namespace

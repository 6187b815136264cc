// Tests of claude_wait's loop: it returns when a job's exit record appears or its end is
// recorded elsewhere, any versus all, unknown ids named, a timeout that says so, a cancel
// token that ends it early, and an interactive job that waits for input handed back.
#include "core/jobs/waiter.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/job_world.h"
#include "support/stream_json.h"

namespace {

using cj::jobs::JobState;
using cj::jobs::ViewBuilder;
using cj::jobs::Waiter;
using cj::jobs::WaitMode;
using cj::jobs::WaitOutcome;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using cj::util::CancelToken;
using claude_jobs::ErrorCode;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace sj = cj::testing::stream_json;

// Runs `act` on a thread of its own once the wait has looked at `id` through its backend
// (its first full refresh), so what `act` does happens while the wait is waiting.
class WhileWaiting {
  public:
    WhileWaiting(cj::testing::FakeBackend& backend, std::string id, std::function<void()> act)
        : thread_([&backend, id, act = std::move(act), seen = backend.count("status", id)] {
              if (backend.wait_for_call("status", id, seen + 1, 20s)) act();
          }) {}
    ~WhileWaiting() { thread_.join(); }

  private:
    std::thread thread_;
};

class WaiterTest : public ::testing::Test {
  protected:
    claude_jobs::Result<WaitOutcome> wait(
        const std::vector<std::string>& ids, WaitMode mode, std::chrono::milliseconds timeout,
        const std::function<void(const WaitOutcome&)>& progress = {}) {
        return waiter_.wait(ids, mode, timeout, token_, progress);
    }
    static std::vector<std::string> done_ids(const WaitOutcome& out) {
        std::vector<std::string> ids;
        for (const auto& v : out.done) ids.push_back(v.job.id);
        return ids;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"tmux", {.attach = true, .sendInput = true}}}};
    ViewBuilder views_{w_.events, *w_.backends, w_.dirs};
    Waiter waiter_{w_.reconciler, views_, w_.dirs};
    CancelToken token_;
};

TEST_F(WaiterTest, ReturnsWhenTheExitRecordAppears) {
    w_.add_running("j1");
    w_.append_file("j1", "events.jsonl", sj::result("finished the work"));
    auto started = Clock::now();
    WhileWaiting supervisor(w_.fake(), "j1", [&] { w_.write_exit("j1", {{"exitCode", 0}}); });
    auto out = wait({"j1"}, WaitMode::Any, 30s);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_LT(Clock::now() - started, 10s);
    ASSERT_EQ(done_ids(*out), std::vector<std::string>{"j1"});
    EXPECT_EQ(out->done[0].job.state, JobState::Completed);
    ASSERT_TRUE(out->done[0].result.has_value());
    EXPECT_EQ(out->done[0].result->summary.text, "finished the work");
    EXPECT_TRUE(out->pending.empty());
    EXPECT_FALSE(out->timedOut);
    EXPECT_EQ(w_.row("j1").state, JobState::Completed) << "the end is recorded";
}

// An end recorded by another server leaves no new file here: the periodic reload finds it.
TEST_F(WaiterTest, ReturnsWhenTheEndIsRecordedElsewhere) {
    w_.add_running("j1");
    WhileWaiting other_server(w_.fake(), "j1", [&] {
        ASSERT_TRUE(
            w_.index->finish("j1", JobState::Failed, 1, "exit code 1", "", "", cj::util::now_ms())
                .ok());
    });
    auto out = wait({"j1"}, WaitMode::Any, 30s);
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(done_ids(*out), std::vector<std::string>{"j1"});
    EXPECT_EQ(out->done[0].job.state, JobState::Failed);
    EXPECT_EQ(out->done[0].job.reason, "exit code 1");
}

TEST_F(WaiterTest, AnEndedJobReturnsAtOnce) {
    w_.add_ended("j1", JobState::Completed, cj::util::now_ms());
    auto started = Clock::now();
    auto out = wait({"j1"}, WaitMode::All, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_LT(Clock::now() - started, 5s);
    EXPECT_EQ(done_ids(*out), std::vector<std::string>{"j1"});
    EXPECT_FALSE(out->timedOut);
}

TEST_F(WaiterTest, AnyReturnsWithTheFirstEnd) {
    w_.add_running("j1");
    w_.add_running("j2");
    w_.write_exit("j1", {{"exitCode", 0}});
    auto out = wait({"j1", "j2"}, WaitMode::Any, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(done_ids(*out), std::vector<std::string>{"j1"});
    EXPECT_EQ(out->pending, std::vector<std::string>{"j2"});
    EXPECT_FALSE(out->timedOut);
}

TEST_F(WaiterTest, AllWaitsForEveryJob) {
    w_.add_running("j1");
    w_.add_running("j2");
    w_.write_exit("j1", {{"exitCode", 0}});
    auto out = wait({"j1", "j2"}, WaitMode::All, 200ms);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->timedOut) << "j2 never ended";
    EXPECT_EQ(done_ids(*out), std::vector<std::string>{"j1"});
    EXPECT_EQ(out->pending, std::vector<std::string>{"j2"});

    WhileWaiting supervisor(w_.fake(), "j2", [&] { w_.write_exit("j2", {{"exitCode", 3}}); });
    out = wait({"j1", "j2"}, WaitMode::All, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out->timedOut);
    EXPECT_EQ(done_ids(*out), (std::vector<std::string>{"j1", "j2"}));
    EXPECT_EQ(out->done[1].job.state, JobState::Failed);
    EXPECT_TRUE(out->pending.empty());
}

TEST_F(WaiterTest, UnknownIdsAreNamed) {
    w_.add_running("j1");
    auto out = wait({"j1", "ghost", "../bad"}, WaitMode::Any, 30s);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().code, ErrorCode::NotFound);
    EXPECT_EQ(out.error().message, "no such job: ghost, ../bad");
}

TEST_F(WaiterTest, TimesOutWhenNothingEnds) {
    w_.add_running("j1");
    auto started = Clock::now();
    auto out = wait({"j1"}, WaitMode::Any, 150ms);
    ASSERT_TRUE(out.ok());
    EXPECT_GE(Clock::now() - started, 150ms);
    EXPECT_TRUE(out->timedOut);
    EXPECT_TRUE(out->done.empty());
    EXPECT_EQ(out->pending, std::vector<std::string>{"j1"});
    EXPECT_EQ(w_.row("j1").state, JobState::Running);
}

TEST_F(WaiterTest, TheCancelTokenEndsItEarly) {
    w_.add_running("j1");
    auto started = Clock::now();
    WhileWaiting client(w_.fake(), "j1", [&] { token_.cancel(); });
    auto out = wait({"j1"}, WaitMode::Any, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_LT(Clock::now() - started, 10s);
    EXPECT_FALSE(out->timedOut);
    EXPECT_TRUE(out->done.empty());
    EXPECT_EQ(out->pending, std::vector<std::string>{"j1"});
}

TEST_F(WaiterTest, AnInteractiveJobAwaitingInputIsHandedBack) {
    w_.add_running("t1", "tmux");
    w_.write_file("t1", "interactive.jsonl",
                  R"({"event":"UserPromptSubmit"})"
                  "\n");
    WhileWaiting backend(w_.fake("tmux"), "t1", [&] {
        w_.append_file("t1", "interactive.jsonl",
                       R"({"event":"Stop","lastText":"Shall I push?"})"
                       "\n");
    });
    auto out = wait({"t1"}, WaitMode::Any, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out->timedOut);
    ASSERT_EQ(done_ids(*out), std::vector<std::string>{"t1"});
    EXPECT_EQ(out->done[0].job.state, JobState::Running);
    ASSERT_TRUE(out->done[0].interactive.has_value());
    EXPECT_EQ(out->done[0].interactive->state, "waiting_for_input");
    EXPECT_EQ(out->done[0].interactive->lastText, "Shall I push?");
}

TEST_F(WaiterTest, AWorkingInteractiveJobIsStillPending) {
    w_.add_running("t1", "tmux");
    w_.write_file("t1", "interactive.jsonl",
                  R"({"event":"Stop","lastText":"done"})"
                  "\n"
                  R"({"event":"InputSent"})"
                  "\n");
    auto out = wait({"t1"}, WaitMode::Any, 100ms);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->timedOut);
    EXPECT_EQ(out->pending, std::vector<std::string>{"t1"});
}

TEST_F(WaiterTest, ProgressReportsWhatIsPending) {
    w_.add_running("j1");
    std::vector<WaitOutcome> reports;
    auto out =
        wait({"j1"}, WaitMode::Any, 1300ms, [&](const WaitOutcome& o) { reports.push_back(o); });
    ASSERT_TRUE(out.ok());
    ASSERT_GE(reports.size(), 1u);
    EXPECT_EQ(reports[0].pending, std::vector<std::string>{"j1"});
    EXPECT_TRUE(reports[0].done.empty());
}

}  // namespace

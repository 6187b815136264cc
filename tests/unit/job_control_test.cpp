// Tests of acting on a job: cancelling it (off the queue; stopped with its grace and waited
// for; already ended; still stopping at the deadline; on a backend this server lacks), the
// stops this process remembers, and typing into an interactive job (each refusal, and
// success).
#include "core/jobs/job_control.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::JobControl;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::StopRequests;
using cj::jobs::ViewBuilder;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using cj::util::CancelToken;
using claude_jobs::ErrorCode;
using claude_jobs::JobStatus;
using claude_jobs::RunState;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kStillStopping =
    "cancel requested; the job is still stopping — check it again";

class JobControlTest : public ::testing::Test {
  protected:
    claude_jobs::Result<cj::jobs::JobView> cancel(const std::string& id, int graceSec) {
        return control_.cancel(id, graceSec, token_);
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"tmux", {.attach = true, .sendInput = true}}}};
    StopRequests stops_{*w_.backends};
    ViewBuilder views_{w_.events, *w_.backends, w_.dirs};
    JobControl control_{*w_.index, *w_.backends, w_.reconciler, stops_, views_, w_.dirs};
    CancelToken token_;
};

TEST_F(JobControlTest, CancelTakesAQueuedJobOffTheQueue) {
    w_.add_queued("q1");
    auto v = cancel("q1", 10);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->job.state, JobState::Cancelled);
    EXPECT_EQ(v->job.reason, "cancelled by request while queued");
    EXPECT_EQ(v->message, "");
    EXPECT_EQ(w_.row("q1").state, JobState::Cancelled);
    EXPECT_EQ(w_.fake().count("stop"), 0);
}

TEST_F(JobControlTest, CancelStopsARunningJobAndWaitsForItsEnd) {
    w_.add_running("j1");
    std::thread supervisor([&] {
        if (w_.fake().wait_for_call("stop", "j1"))
            w_.write_exit("j1", {{"signal", 15}, {"signalName", "SIGTERM"}, {"cancelled", true}});
    });
    auto started = Clock::now();
    auto v = cancel("j1", 3);
    supervisor.join();
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_LT(Clock::now() - started, 8s) << "the end was noticed before the deadline";
    EXPECT_EQ(v->job.state, JobState::Cancelled);
    EXPECT_EQ(v->job.reason, "cancelled by request");
    EXPECT_EQ(v->message, "");
    auto sent = w_.fake().calls("stop");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].graceSec, 3);
    JobRecord row = w_.row("j1");
    EXPECT_TRUE(row.cancelRequested);
    EXPECT_EQ(row.cancelGraceSec, 3);
    EXPECT_EQ(row.state, JobState::Cancelled);
}

TEST_F(JobControlTest, CancelOfAnEndedJobSaysSo) {
    w_.add_ended("e1", JobState::Completed, cj::util::now_ms());
    auto v = cancel("e1", 10);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->job.state, JobState::Completed);
    EXPECT_EQ(v->message, "job already ended (completed); nothing to cancel");
    EXPECT_EQ(w_.fake().count("stop"), 0);
    EXPECT_FALSE(w_.row("e1").cancelRequested);
}

TEST_F(JobControlTest, CancelOfAnUnknownJobIsNotFound) {
    auto v = cancel("ghost", 10);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::NotFound);
}

// With no grace the wait lasts 5 s; the job keeps running through it.
TEST_F(JobControlTest, AJobStillStoppingAtTheDeadlineIsSaidToBe) {
    w_.add_running("j1");
    auto started = Clock::now();
    auto v = cancel("j1", 0);
    ASSERT_TRUE(v.ok());
    EXPECT_GE(Clock::now() - started, 5s);
    EXPECT_LT(Clock::now() - started, 20s);
    EXPECT_EQ(v->job.state, JobState::Running);
    EXPECT_EQ(v->message, kStillStopping);
    auto sent = w_.fake().calls("stop");
    ASSERT_EQ(sent.size(), 1u) << "sent once, not on every look";
    EXPECT_EQ(sent[0].graceSec, 0);
}

TEST_F(JobControlTest, TheTokenEndsTheCancelsWait) {
    w_.add_running("j1");
    std::thread client([&] {
        if (w_.fake().wait_for_call("stop", "j1")) token_.cancel();
    });
    auto started = Clock::now();
    auto v = cancel("j1", 30);
    client.join();
    ASSERT_TRUE(v.ok());
    EXPECT_LT(Clock::now() - started, 20s);
    EXPECT_EQ(v->message, kStillStopping);
    EXPECT_TRUE(w_.row("j1").cancelRequested) << "the cancel stands";
}

TEST_F(JobControlTest, CancelOnABackendNotHereIsRecordedForAnotherServer) {
    w_.add_running("x1", "elsewhere");
    token_.cancel();  // do not wait: nothing here can end it
    auto v = cancel("x1", 10);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->job.state, JobState::Running);
    EXPECT_EQ(v->message,
              "cancel recorded; backend \"elsewhere\" is not available in this server; a server "
              "that has it will stop the job");
    EXPECT_TRUE(w_.row("x1").cancelRequested);
}

// The backend no longer knows the job: it ended meanwhile, and the stop is a success.
TEST_F(JobControlTest, AStopOfAJobTheBackendNoLongerKnowsIsASuccess) {
    w_.add_running("j1");
    w_.fake().set_stop(claude_jobs::make_error(ErrorCode::NotFound, "no such job"));
    w_.fake().on_stop([&](const std::string& id, int) {
        w_.fake().set_status(id, JobStatus{RunState::Exited, 143, 0, ""});
    });
    auto v = cancel("j1", 10);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->job.state, JobState::Cancelled);
}

TEST_F(JobControlTest, AFailedStopIsAnError) {
    w_.add_running("j1");
    w_.fake().set_stop(claude_jobs::make_error(ErrorCode::Internal, "kill failed"));
    auto v = cancel("j1", 10);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::Internal);
    EXPECT_EQ(v.error().message, "kill failed");
}

// A job still being launched has no handle: the stop goes out once the launch stores one.
TEST_F(JobControlTest, ACancelDuringTheLaunchIsSentOnceTheJobHasAHandle) {
    w_.add("j1", 10);  // a launch slot, no handle yet
    std::thread launcher([&] {
        for (auto until = Clock::now() + 20s; Clock::now() < until;
             std::this_thread::sleep_for(1ms))
            if (w_.row("j1").cancelRequested) break;
        claude_jobs::JobHandle handle{"j1", "fake", 1, "{}"};
        ASSERT_TRUE(w_.index->set_launched("j1", cj::jobs::handle_to_json(handle), 1).ok());
        if (w_.fake().wait_for_call("stop", "j1"))
            w_.write_exit("j1", {{"signal", 15}, {"cancelled", true}});
    });
    auto v = cancel("j1", 4);
    launcher.join();
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->job.state, JobState::Cancelled);
    auto sent = w_.fake().calls("stop");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].graceSec, 4);
}

TEST_F(JobControlTest, StopsAreRememberedUntilTheJobLeavesTheActiveSet) {
    JobRecord job = w_.add_running("j1");
    job.cancelGraceSec = 6;
    ASSERT_TRUE(stops_.request(job, 6).ok());
    EXPECT_EQ(w_.fake().count("stop", "j1"), 1);
    stops_.repeat_if_due(job);
    EXPECT_EQ(w_.fake().count("stop", "j1"), 1) << "sent a moment ago";
    stops_.retain({"j1"});
    stops_.repeat_if_due(job);
    EXPECT_EQ(w_.fake().count("stop", "j1"), 1) << "still remembered";
    stops_.retain({});
    stops_.repeat_if_due(job);
    auto sent = w_.fake().calls("stop");
    ASSERT_EQ(sent.size(), 2u) << "forgotten, so due again";
    EXPECT_EQ(sent[1].graceSec, 6);
}

TEST_F(JobControlTest, SendNeedsABackendThatTakesInput) {
    w_.add_running("j1", "fake");
    auto v = control_.send("j1", "hello");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(v.error().message.find("which does not take input"), std::string::npos);
    EXPECT_EQ(w_.fake().count("sendInput"), 0);
}

TEST_F(JobControlTest, SendNeedsARunningJob) {
    w_.add_ended("t1", JobState::Completed, cj::util::now_ms(), "tmux");
    w_.add_queued("t2", "tmux");
    auto v = control_.send("t1", "hello");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(v.error().message, "job t1 is completed; only a running job takes input");
    v = control_.send("t2", "hello");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().message, "job t2 is queued; only a running job takes input");
    EXPECT_EQ(w_.fake("tmux").count("sendInput"), 0);
}

TEST_F(JobControlTest, SendIsRefusedWhileAQuestionIsOnScreen) {
    w_.add_running("t1", "tmux");
    w_.write_file("t1", "interactive.jsonl",
                  R"({"event":"ScreenQuestion","question":"Do you trust this folder?"})"
                  "\n");
    auto v = control_.send("t1", "1");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(v.error().message.find("shows a question on screen"), std::string::npos);
    EXPECT_EQ(w_.fake("tmux").count("sendInput"), 0);
}

TEST_F(JobControlTest, SendIsRefusedBeforeThePromptIsTypedIn) {
    w_.add_running("t1", "tmux");
    w_.write_file("t1", "interactive.jsonl",
                  R"({"event":"SessionStart"})"
                  "\n");
    auto v = control_.send("t1", "more");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(v.error().message.find("is still starting"), std::string::npos);
    EXPECT_EQ(w_.fake("tmux").count("sendInput"), 0);
}

TEST_F(JobControlTest, SendTypesIntoAJobWaitingForInput) {
    w_.add_running("t1", "tmux");
    w_.write_file("t1", "interactive.jsonl",
                  R"({"event":"Stop","lastText":"Next?"})"
                  "\n");
    auto v = control_.send("t1", "run the tests");
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->job.id, "t1");
    auto sent = w_.fake("tmux").calls("sendInput");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].jobId, "t1");
    EXPECT_EQ(sent[0].text, "run the tests");
}

TEST_F(JobControlTest, ABackendRefusingInputIsAnError) {
    w_.add_running("t1", "tmux");
    w_.fake("tmux").set_send(claude_jobs::make_error(ErrorCode::Unavailable, "pane is gone"));
    auto v = control_.send("t1", "x");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(v.error().message, "pane is gone");
}

}  // namespace

// Tests of the reconciler: a running job's row is brought up to date from its exit record
// (the outcome decided by outcome.cpp) or from what its backend says of it (ended, lost),
// a launch that never finished is failed after its grace, an end is recorded once, and the
// backend is told to free what it holds.
#include "core/jobs/reconciler.h"

#include <gtest/gtest.h>

#include "support/job_world.h"
#include "support/stream_json.h"

namespace {

using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using claude_jobs::ErrorCode;
using claude_jobs::JobStatus;
using claude_jobs::RunState;
namespace sj = cj::testing::stream_json;

class ReconcilerTest : public ::testing::Test {
  protected:
    JobRecord refresh(const JobRecord& job) {
        auto r = w_.reconciler.refresh(job);
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? *r : job;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"broken", {}, false}}};
};

TEST_F(ReconcilerTest, LoadFindsARow) {
    w_.add_running("j1");
    auto job = w_.reconciler.load("j1");
    ASSERT_TRUE(job.ok()) << job.error().message;
    EXPECT_EQ(job->id, "j1");
    EXPECT_EQ(job->state, JobState::Running);
}

TEST_F(ReconcilerTest, LoadOfAnUnknownIdIsNotFound) {
    auto job = w_.reconciler.load("nope");
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.error().code, ErrorCode::NotFound);
    EXPECT_NE(job.error().message.find("nope"), std::string::npos);
}

// An invalid id is never looked up: even a row stored under it is not found.
TEST_F(ReconcilerTest, LoadOfAnInvalidIdIsNotFoundWithoutLookingItUp) {
    auto inserted = w_.index->insert(w_.draft("../escape"), 10);
    ASSERT_TRUE(inserted.ok());
    auto job = w_.reconciler.load("../escape");
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.error().code, ErrorCode::NotFound);
    EXPECT_NE(job.error().message.find("../escape"), std::string::npos);
}

TEST_F(ReconcilerTest, ExitRecordOfZeroWithAResultCompletes) {
    JobRecord job = w_.add_running("j1");
    w_.write_file("j1", "events.jsonl",
                  sj::init("sess-9") + sj::text("hi") + sj::result("fine", false, "sess-9"));
    w_.write_exit("j1", {{"exitCode", 0}, {"reason", "exit code 0"}});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Completed);
    EXPECT_EQ(now.reason, "completed: exit code 0");
    EXPECT_EQ(now.exitCode, 0);
    EXPECT_EQ(now.sessionId, "sess-9");
    EXPECT_NE(now.result.find("fine"), std::string::npos);
    EXPECT_GT(now.endedAt, 0);
    EXPECT_EQ(w_.row("j1").state, JobState::Completed);
    EXPECT_EQ(w_.fake().count("status"), 0) << "the exit record alone decides";
}

TEST_F(ReconcilerTest, ExitRecordOfNonZeroFailsWithStderrAsReason) {
    JobRecord job = w_.add_running("j1");
    w_.write_file("j1", "stderr.log", "starting\nError: no credentials\n");
    w_.write_exit("j1", {{"exitCode", 2}});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Failed);
    EXPECT_EQ(now.exitCode, 2);
    EXPECT_EQ(now.reason, "exit code 2: Error: no credentials");
}

TEST_F(ReconcilerTest, ExitRecordOfACancelledJobIsCancelled) {
    JobRecord job = w_.add_running("j1");
    w_.write_exit("j1", {{"signal", 15}, {"signalName", "SIGTERM"}, {"cancelled", true}});
    EXPECT_EQ(refresh(job).state, JobState::Cancelled);
}

TEST_F(ReconcilerTest, UnreadableExitRecordFails) {
    JobRecord job = w_.add_running("j1");
    w_.write_file("j1", "exit.json", "{not json");
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Failed);
    EXPECT_EQ(now.reason, "the exit record exit.json is unreadable");
}

TEST_F(ReconcilerTest, AnEndFreesWhatTheBackendHolds) {
    JobRecord job = w_.add_running("j1");
    ASSERT_FALSE(w_.held_after_end("j1")) << "a running job is not listed as held after its end";
    w_.write_exit("j1", {{"exitCode", 0}});
    refresh(job);
    EXPECT_EQ(w_.fake().count("destroy", "j1"), 1);
    EXPECT_FALSE(w_.held_after_end("j1"));
}

TEST_F(ReconcilerTest, AFailedDestroyKeepsTheJobHeld) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_destroy(claude_jobs::make_error(ErrorCode::Internal, "busy"));
    w_.write_exit("j1", {{"exitCode", 0}});
    EXPECT_EQ(refresh(job).state, JobState::Completed);
    EXPECT_EQ(w_.fake().count("destroy", "j1"), 1);
    EXPECT_TRUE(w_.held_after_end("j1")) << "left for the release pass";
}

TEST_F(ReconcilerTest, ARunningBackendLeavesTheJobRunning) {
    JobRecord job = w_.add_running("j1");
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Running);
    EXPECT_EQ(w_.fake().count("recover", "j1"), 1) << "recovered into this process first";
    EXPECT_EQ(w_.fake().count("status", "j1"), 1);
    refresh(job);
    EXPECT_EQ(w_.fake().count("recover", "j1"), 1) << "recovered once";
    EXPECT_EQ(w_.fake().count("destroy"), 0);
}

TEST_F(ReconcilerTest, LostIsOrphanedWithTheBackendsReasonAndAStop) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_status("j1", JobStatus{RunState::Lost, -1, 0, "its container is gone"});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Orphaned);
    EXPECT_EQ(now.reason, "its container is gone");
    auto stops = w_.fake().calls("stop");
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0].jobId, "j1");
    EXPECT_EQ(stops[0].graceSec, 0);
    EXPECT_EQ(w_.fake().count("destroy", "j1"), 1);
}

TEST_F(ReconcilerTest, LostWithoutAReasonSaysTheSupervisorVanished) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_status("j1", JobStatus{RunState::Lost, -1, 0, ""});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Orphaned);
    EXPECT_EQ(now.reason, "its supervisor vanished");
}

TEST_F(ReconcilerTest, LostAfterACancelRequestIsCancelled) {
    w_.add_running("j1");
    ASSERT_TRUE(w_.index->set_cancel_requested("j1", 3).ok());
    w_.fake().set_status("j1", JobStatus{RunState::Lost, -1, 0, "gone"});
    JobRecord now = refresh(w_.row("j1"));
    EXPECT_EQ(now.state, JobState::Cancelled);
    EXPECT_EQ(now.reason, "cancelled by request (gone)");
}

TEST_F(ReconcilerTest, ExitedWithACodeFails) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_status("j1", JobStatus{RunState::Exited, 3, 0, ""});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Failed);
    EXPECT_EQ(now.exitCode, 3);
    EXPECT_EQ(now.reason, "exit code 3");
    EXPECT_EQ(w_.fake().count("stop"), 0);
}

TEST_F(ReconcilerTest, ExitedBySignalFails) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_status("j1", JobStatus{RunState::Exited, -1, 9, ""});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Failed);
    EXPECT_EQ(now.reason, "killed by SIGKILL");
}

// The supervisor may write its record just after the first look: the record wins.
TEST_F(ReconcilerTest, ARecordWrittenWhileAskingTheBackendWins) {
    JobRecord job = w_.add_running("j1");
    w_.fake().on_status([&](const std::string& id) {
        w_.write_exit(id, {{"timedOut", true}, {"signal", 15}});
    });
    w_.fake().set_status("j1", JobStatus{RunState::Lost, -1, 0, "gone"});
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::TimedOut);
    EXPECT_EQ(w_.fake().count("stop"), 0);
}

TEST_F(ReconcilerTest, ALaunchPastItsGraceFails) {
    JobRecord job = w_.add("j1", 10);  // a launch slot, no handle
    ASSERT_EQ(job.state, JobState::Running);
    ASSERT_TRUE(job.handle.empty());
    EXPECT_EQ(refresh(job).state, JobState::Running) << "a launch in progress";
    job.claimedAt = cj::util::now_ms() - 121 * 1000;
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Failed);
    EXPECT_EQ(now.reason, "the server stopped while launching it");
    EXPECT_EQ(w_.fake().count("status"), 0);
}

TEST_F(ReconcilerTest, ABackendNotHereLeavesTheJobRunning) {
    JobRecord elsewhere = w_.add_running("j1", "elsewhere");
    EXPECT_EQ(refresh(elsewhere).state, JobState::Running);
    JobRecord broken = w_.add_running("j2", "broken");  // configured, but its module failed
    EXPECT_EQ(refresh(broken).state, JobState::Running);
    EXPECT_EQ(w_.row("j1").state, JobState::Running);
    EXPECT_EQ(w_.row("j2").state, JobState::Running);
}

TEST_F(ReconcilerTest, AJobItsBackendCannotRecoverIsOrphaned) {
    JobRecord job = w_.add_running("j1");
    w_.fake().set_recover(claude_jobs::make_error(ErrorCode::InvalidArgument, "unreadable state"));
    JobRecord now = refresh(job);
    EXPECT_EQ(now.state, JobState::Orphaned);
    EXPECT_NE(now.reason.find("cannot recover it: unreadable state"), std::string::npos)
        << now.reason;
}

TEST_F(ReconcilerTest, OtherStatesAreLeftAsTheyAre) {
    JobRecord ended = w_.add_ended("e1", JobState::Failed, 5);
    w_.write_exit("e1", {{"exitCode", 0}});
    EXPECT_EQ(refresh(ended).state, JobState::Failed);
    JobRecord queued = w_.add_queued("q1");
    w_.write_exit("q1", {{"exitCode", 0}});
    EXPECT_EQ(refresh(queued).state, JobState::Queued);
    EXPECT_EQ(w_.fake().count("destroy"), 0);
}

TEST_F(ReconcilerTest, RecordEndTwiceKeepsTheFirst) {
    JobRecord job = w_.add_running("j1");
    JobRecord first = w_.reconciler.record_end(job, JobState::Completed, 0, "the first end");
    EXPECT_EQ(first.state, JobState::Completed);
    JobRecord second = w_.reconciler.record_end(job, JobState::Failed, 1, "the second end");
    EXPECT_EQ(second.state, JobState::Completed);
    EXPECT_EQ(second.reason, "the first end");
    EXPECT_EQ(second.exitCode, 0);
    EXPECT_EQ(w_.row("j1").reason, "the first end");
    EXPECT_EQ(w_.fake().count("destroy", "j1"), 1) << "freed once";
}

TEST_F(ReconcilerTest, RecordEndKeepsTheReasonOnOneShortLine) {
    JobRecord job = w_.add_running("j1");
    JobRecord now = w_.reconciler.record_end(job, JobState::Failed, std::nullopt,
                                             "line one\nline two" + std::string(2000, 'x'));
    EXPECT_EQ(now.reason.find('\n'), std::string::npos);
    EXPECT_LE(now.reason.size(), 500u);
    EXPECT_EQ(now.reason.rfind("line one line two", 0), 0u);
}

TEST_F(ReconcilerTest, CurrentLoadsAndRefreshes) {
    w_.add_running("j1");
    w_.write_exit("j1", {{"exitCode", 0}});
    auto now = w_.reconciler.current("j1");
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->state, JobState::Completed);
    EXPECT_EQ(w_.reconciler.current("nope").error().code, ErrorCode::NotFound);
}

}  // namespace

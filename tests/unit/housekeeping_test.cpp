// Tests of the housekeeping: the pump records ends and launches queued jobs into freed
// slots, and repeats a due stop; the release pass frees what backends hold for ended jobs
// (only on backends this server has); the sweep removes jobs past retention.
#include "core/jobs/housekeeping.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::Housekeeping;
using cj::jobs::JobState;
using cj::jobs::Launcher;
using cj::jobs::StopRequests;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using claude_jobs::ErrorCode;
namespace fs = std::filesystem;

constexpr std::int64_t kDayMs = 86400 * 1000;

class HousekeepingTest : public ::testing::Test {
  protected:
    void admit(const std::string& id) {
        auto out = launcher_.admit(w_.accepted(id));
        ASSERT_TRUE(out.ok()) << out.error().message;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"broken", {}, false}}};
    Launcher launcher_{w_.config, *w_.index, *w_.backends, w_.reconciler, w_.dirs};
    StopRequests stops_{*w_.backends};
    Housekeeping house_{w_.config, *w_.index, *w_.backends, w_.reconciler,
                        launcher_, stops_,    w_.events,    w_.dirs};
};

TEST_F(HousekeepingTest, PumpRecordsAnEndAndLaunchesTheNextQueuedJob) {
    w_.config.maxConcurrentJobs = 1;
    admit("a");
    admit("b");
    ASSERT_EQ(w_.row("b").state, JobState::Queued);
    house_.pump();
    EXPECT_EQ(w_.row("a").state, JobState::Running);
    EXPECT_EQ(w_.row("b").state, JobState::Queued) << "no slot yet";

    w_.write_exit("a", {{"exitCode", 0}});
    house_.pump();
    EXPECT_EQ(w_.row("a").state, JobState::Completed);
    EXPECT_EQ(w_.row("b").state, JobState::Running);
    EXPECT_FALSE(w_.row("b").handle.empty());
    EXPECT_EQ(w_.fake().count("start", "b"), 1);
}

TEST_F(HousekeepingTest, PumpMarksAVanishedJobOrphaned) {
    w_.add_running("a");
    w_.fake().set_status("a", claude_jobs::JobStatus{claude_jobs::RunState::Lost, -1, 0, "gone"});
    house_.pump();
    EXPECT_EQ(w_.row("a").state, JobState::Orphaned);
    EXPECT_EQ(w_.row("a").reason, "gone");
}

TEST_F(HousekeepingTest, PumpRepeatsTheStopOfACancelledRunningJob) {
    w_.add_running("a");
    w_.add_running("b");
    ASSERT_TRUE(w_.index->set_cancel_requested("a", 8).ok());
    house_.pump();
    auto sent = w_.fake().calls("stop");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].jobId, "a");
    EXPECT_EQ(sent[0].graceSec, 8);
    house_.pump();
    EXPECT_EQ(w_.fake().count("stop", "a"), 1) << "not again within a few seconds";
}

TEST_F(HousekeepingTest, PumpSendsNoStopToAJobWithoutAHandle) {
    w_.add("a", 10);  // launching
    ASSERT_TRUE(w_.index->set_cancel_requested("a", 8).ok());
    house_.pump();
    EXPECT_EQ(w_.fake().count("stop"), 0);
}

TEST_F(HousekeepingTest, ReleaseFreesHeldEndedJobsOnlyOnBackendsHere) {
    std::int64_t now = cj::util::now_ms();
    w_.add_ended("here", JobState::Completed, now);
    w_.add_ended("away", JobState::Completed, now, "elsewhere");
    w_.add_ended("unloaded", JobState::Completed, now, "broken");
    w_.add_running("running");
    EXPECT_EQ(house_.release_held(), 1);
    EXPECT_EQ(w_.fake().count("destroy", "here"), 1);
    EXPECT_EQ(w_.fake().count("destroy", "running"), 0);
    EXPECT_FALSE(w_.held_after_end("here"));
    EXPECT_TRUE(w_.held_after_end("away")) << "for a server that has its backend";
    EXPECT_TRUE(w_.held_after_end("unloaded"));
    EXPECT_EQ(house_.release_held(), 0) << "nothing left here";
}

TEST_F(HousekeepingTest, ReleaseKeepsAJobWhoseBackendCouldNotFreeIt) {
    w_.add_ended("a", JobState::Completed, cj::util::now_ms());
    w_.fake().set_destroy(claude_jobs::make_error(ErrorCode::Internal, "container busy"));
    EXPECT_EQ(house_.release_held(), 0);
    EXPECT_TRUE(w_.held_after_end("a"));
    w_.fake().set_destroy({});
    EXPECT_EQ(house_.release_held(), 1);
    EXPECT_FALSE(w_.held_after_end("a"));
    EXPECT_EQ(w_.fake().count("destroy", "a"), 2);
}

// A job its backend cannot take back has nothing left to free.
TEST_F(HousekeepingTest, ReleaseGivesUpOnAJobItsBackendCannotRecover) {
    w_.add_ended("a", JobState::Completed, cj::util::now_ms());
    w_.fake().set_recover(claude_jobs::make_error(ErrorCode::InvalidArgument, "unreadable"));
    EXPECT_EQ(house_.release_held(), 1);
    EXPECT_EQ(w_.fake().count("destroy", "a"), 0);
    EXPECT_FALSE(w_.held_after_end("a"));
}

TEST_F(HousekeepingTest, SweepRemovesJobsPastRetention) {
    w_.config.retentionDays = 7;
    std::int64_t now = cj::util::now_ms();
    w_.add_ended("old", JobState::Completed, now - 8 * kDayMs);
    w_.add_ended("young", JobState::Failed, now - 1 * kDayMs);
    w_.add_running("running");
    w_.write_file("old", "events.jsonl", "{}\n");
    w_.write_file("young", "events.jsonl", "{}\n");
    EXPECT_EQ(house_.sweep(), 1);
    EXPECT_FALSE(fs::exists(w_.dirs.dir("old")));
    auto gone = w_.index->get("old");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
    EXPECT_TRUE(fs::exists(w_.dirs.file("young", "events.jsonl")));
    EXPECT_EQ(w_.row("young").state, JobState::Failed);
    EXPECT_TRUE(fs::exists(w_.dirs.dir("running")));
    EXPECT_EQ(w_.row("running").state, JobState::Running);
    EXPECT_EQ(w_.fake().count("destroy", "young"), 1) << "the sweep releases first";
    EXPECT_EQ(house_.sweep(), 0);
}

TEST_F(HousekeepingTest, RetentionZeroKeepsEveryJob) {
    w_.config.retentionDays = 0;
    w_.add_ended("old", JobState::Completed, cj::util::now_ms() - 400 * kDayMs);
    EXPECT_EQ(house_.sweep(), 0);
    EXPECT_TRUE(fs::exists(w_.dirs.dir("old")));
    EXPECT_EQ(w_.row("old").state, JobState::Completed);
    EXPECT_FALSE(w_.held_after_end("old")) << "still released";
}

}  // namespace

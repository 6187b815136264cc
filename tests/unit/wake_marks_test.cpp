// Tests of the wake marks: an end the owner read (collected) is never claimed for a
// wake-up; each end is claimed once per path, whichever process claims it; a session's
// untold ends are found, and drop out once told or collected; a removed job's marks go with
// it (so a reused id starts clean).
#include "core/jobs/wake_marks.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using cj::jobs::JobIndex;
using cj::jobs::JobOwner;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::WakeMarks;
using cj::jobs::WakePath;

class WakeMarksTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = JobIndex::open(dir_.path() + "/jobs.db");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        index_ = std::move(*opened);
    }
    void ended(const std::string& id, const std::string& session, std::int64_t at = 2000) {
        JobRecord r;
        r.id = id;
        r.backend = "local";
        r.workFolder = "/tmp";
        r.spec = "{}";
        r.createdAt = 1000;
        r.owner.instance = "server-1";
        r.owner.session = session;
        ASSERT_TRUE(index_->insert(r, 10).ok());
        auto done =
            index_->finish(id, JobState::Completed, 0, "completed: exit code 0", "", "", at);
        ASSERT_TRUE(done.ok() && *done);
    }
    std::vector<std::string> untold(const std::string& session, WakePath path) {
        auto ids = marks().untold(session, path, 10);
        EXPECT_TRUE(ids.ok());
        return ids.ok() ? *ids : std::vector<std::string>{};
    }
    WakeMarks marks() { return WakeMarks(*index_); }

    cj::testing::TempDir dir_{"cj-wake-marks"};
    std::unique_ptr<JobIndex> index_;
};

TEST_F(WakeMarksTest, EachEndIsClaimedOncePerPath) {
    ended("j1", "s1");
    EXPECT_TRUE(*marks().claim("j1", WakePath::Hook));
    EXPECT_FALSE(*marks().claim("j1", WakePath::Hook)) << "told once";
    EXPECT_TRUE(*marks().claim("j1", WakePath::Channel)) << "the channel is another path";
    EXPECT_FALSE(*marks().claim("j1", WakePath::Channel));
}

TEST_F(WakeMarksTest, ACollectedEndIsNeverClaimed) {
    ended("j1", "s1");
    marks().collected("j1");
    EXPECT_TRUE(*marks().is_collected("j1"));
    EXPECT_FALSE(*marks().claim("j1", WakePath::Hook));
    EXPECT_FALSE(*marks().claim("j1", WakePath::Channel));
    EXPECT_TRUE(untold("s1", WakePath::Hook).empty());
}

TEST_F(WakeMarksTest, UntoldListsTheSessionsEndsInOrderUntilTold) {
    ended("late", "s1", 3000);
    ended("early", "s1", 2500);
    ended("other", "s2");
    EXPECT_EQ(untold("s1", WakePath::Hook), (std::vector<std::string>{"early", "late"}));
    EXPECT_EQ(untold("s2", WakePath::Hook), (std::vector<std::string>{"other"}));
    ASSERT_TRUE(*marks().claim("early", WakePath::Hook));
    EXPECT_EQ(untold("s1", WakePath::Hook), (std::vector<std::string>{"late"}));
    EXPECT_EQ(untold("s1", WakePath::Channel).size(), 2u) << "told on the hook path only";
}

TEST_F(WakeMarksTest, RunningJobsAreNotUntold) {
    JobRecord r;
    r.id = "running";
    r.backend = "local";
    r.workFolder = "/tmp";
    r.spec = "{}";
    r.createdAt = 1000;
    r.owner.session = "s1";
    ASSERT_TRUE(index_->insert(r, 10).ok());
    EXPECT_TRUE(untold("s1", WakePath::Hook).empty());
}

TEST_F(WakeMarksTest, ARemovedJobTakesItsMarksWithIt) {
    ended("j1", "s1");
    marks().collected("j1");
    ASSERT_TRUE(index_->remove("j1").ok());
    ended("j1", "s1");
    EXPECT_FALSE(*marks().is_collected("j1"));
    EXPECT_TRUE(*marks().claim("j1", WakePath::Hook));
}

TEST(SameOwnerTest, TheSameProcessOrTheSameHostSession) {
    JobOwner owner{"i1", "claude-code", "s1", "/p"};
    EXPECT_TRUE(cj::jobs::same_owner(JobOwner{"i1", "", "", ""}, owner));
    EXPECT_TRUE(cj::jobs::same_owner(JobOwner{"i2", "", "s1", ""}, owner));
    EXPECT_FALSE(cj::jobs::same_owner(JobOwner{"i2", "", "s2", ""}, owner));
    EXPECT_FALSE(cj::jobs::same_owner(JobOwner{"i2", "", "", ""}, JobOwner{"i1", "", "", ""}));
    EXPECT_FALSE(cj::jobs::same_owner(JobOwner{"", "", "", ""}, JobOwner{"", "", "", ""}))
        << "two unknowns are not the same owner";
}

}  // namespace

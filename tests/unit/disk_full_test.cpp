// Tests of how a full disk is said in a job's reason (core/jobs/disk_full.h): the note is
// added once, only to ends a full disk can explain; the server's own look at the state dir
// notes a full filesystem, and remembers it for a job whose end could not be recorded until
// space returned (root only: the disk is a small tmpfs of the test's own).
#include "core/jobs/disk_full.h"

#include <gtest/gtest.h>

#include "support/small_disk.h"
#include "support/temp_dir.h"

namespace {

using cj::jobs::DiskWatch;
using cj::jobs::JobState;
using cj::jobs::may_be_for_want_of_space;
using cj::jobs::with_no_space_note;

TEST(DiskFullTest, TheNoteIsAddedOnce) {
    EXPECT_EQ(with_no_space_note("exit code 1"), "exit code 1; no space left on device");
    EXPECT_EQ(with_no_space_note("exit code 1; no space left on device"),
              "exit code 1; no space left on device");
    EXPECT_EQ(with_no_space_note(""), "no space left on device");
}

TEST(DiskFullTest, OnlyEndsAFullDiskCanExplainGetTheNote) {
    EXPECT_TRUE(may_be_for_want_of_space(JobState::Failed));
    EXPECT_TRUE(may_be_for_want_of_space(JobState::TimedOut));
    EXPECT_TRUE(may_be_for_want_of_space(JobState::Orphaned));
    EXPECT_FALSE(may_be_for_want_of_space(JobState::Completed));
    EXPECT_FALSE(may_be_for_want_of_space(JobState::Cancelled));
    EXPECT_FALSE(may_be_for_want_of_space(JobState::Running));
}

TEST(DiskFullTest, ADiskWithRoomChangesNothing) {
    cj::testing::TempDir dir("cj-disk-watch");
    DiskWatch watch(dir.path());
    EXPECT_EQ(watch.annotate("j1", JobState::Orphaned, "its supervisor vanished"),
              "its supervisor vanished");
}

TEST(DiskFullTest, AFullDiskIsNotedAndRememberedUntilTheEndIsRecorded) {
    cj::testing::SmallDisk disk(2);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    DiskWatch watch(disk.path());
    ASSERT_TRUE(disk.fill());
    const std::string noted =
        "its supervisor vanished; no space left on device (in " + disk.path() + ")";
    EXPECT_EQ(watch.annotate("j1", JobState::Orphaned, "its supervisor vanished"), noted);
    EXPECT_EQ(watch.annotate("j2", JobState::Completed, "completed: exit code 0"),
              "completed: exit code 0");
    EXPECT_EQ(watch.annotate("j3", JobState::Cancelled, "cancelled by request"),
              "cancelled by request");

    disk.free_up();
    // j1's end was seen while the disk was full: still said once space is back.
    EXPECT_EQ(watch.annotate("j1", JobState::Orphaned, "its supervisor vanished"), noted);
    EXPECT_EQ(watch.annotate("j4", JobState::Failed, "exit code 1"), "exit code 1")
        << "a job seen only after space returned";
    watch.forget("j1");
    EXPECT_EQ(watch.annotate("j1", JobState::Orphaned, "its supervisor vanished"),
              "its supervisor vanished");
}

}  // namespace

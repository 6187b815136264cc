// Tests of listing jobs: running jobs on the page are reconciled first, so an end noticed
// while listing is listed, and counted, as an end.
#include "core/jobs/job_list.h"

#include <gtest/gtest.h>

#include "support/job_world.h"

namespace {

using cj::jobs::JobList;
using cj::jobs::JobLister;
using cj::jobs::JobState;
using cj::jobs::ListFilter;
using cj::testing::JobWorld;

std::int64_t count_of(const JobList& list, JobState state) {
    std::int64_t n = 0;
    for (const auto& [s, c] : list.counts)
        if (s == state) n += c;
    return n;
}

class JobListTest : public ::testing::Test {
  protected:
    JobWorld w_;
    JobLister lister_{*w_.index, w_.reconciler};
};

TEST_F(JobListTest, ListsNewestFirstWithCounts) {
    w_.add_running("a");
    w_.add_running("b");
    w_.add_queued("c");
    auto list = lister_.list({});
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list->jobs.size(), 3u);
    EXPECT_EQ(list->jobs[0].id, "c");
    EXPECT_EQ(list->jobs[2].id, "a");
    EXPECT_EQ(count_of(*list, JobState::Running), 2);
    EXPECT_EQ(count_of(*list, JobState::Queued), 1);
    EXPECT_EQ(list->nextBeforeSeq, 0);
}

TEST_F(JobListTest, AnEndNoticedWhileListingMovesTheCounts) {
    w_.add_running("a");
    w_.add_running("b");
    w_.add_ended("c", JobState::Failed, cj::util::now_ms());
    w_.write_exit("a", {{"exitCode", 0}});
    auto list = lister_.list({});
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->jobs.size(), 3u);
    EXPECT_EQ(list->jobs[2].id, "a");
    EXPECT_EQ(list->jobs[2].state, JobState::Completed) << "listed as it now is";
    EXPECT_EQ(list->jobs[1].state, JobState::Running);
    EXPECT_EQ(count_of(*list, JobState::Running), 1);
    EXPECT_EQ(count_of(*list, JobState::Completed), 1) << "a state not counted before is added";
    EXPECT_EQ(count_of(*list, JobState::Failed), 1);
    EXPECT_EQ(w_.row("a").state, JobState::Completed) << "and recorded";
}

TEST_F(JobListTest, AnEndIntoACountedStateAddsToIt) {
    w_.add_running("a");
    w_.add_ended("b", JobState::Orphaned, cj::util::now_ms());
    w_.fake().set_status("a", claude_jobs::JobStatus{claude_jobs::RunState::Lost, -1, 0, "gone"});
    auto list = lister_.list({});
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(count_of(*list, JobState::Running), 0);
    EXPECT_EQ(count_of(*list, JobState::Orphaned), 2);
    int orphaned_entries = 0;
    for (const auto& [state, n] : list->counts) orphaned_entries += state == JobState::Orphaned;
    EXPECT_EQ(orphaned_entries, 1) << "one count per state";
}

TEST_F(JobListTest, OnlyTheJobsOnThePageAreReconciled) {
    w_.add_running("old");
    w_.add_running("new");
    w_.write_exit("old", {{"exitCode", 0}});
    ListFilter filter;
    filter.limit = 1;
    auto list = lister_.list(filter);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->jobs.size(), 1u);
    EXPECT_EQ(list->jobs[0].id, "new");
    EXPECT_NE(list->nextBeforeSeq, 0);
    EXPECT_EQ(w_.row("old").state, JobState::Running);
}

}  // namespace

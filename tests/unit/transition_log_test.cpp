// Tests of the job index's transitions log: every new job, promotion and end is logged once,
// in order, in the same transaction as the change, with the job's label and owner; a job's
// log goes with it at retention; in-process listeners hear of each commit.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/jobs/job_index.h"
#include "support/temp_dir.h"

namespace {

using cj::jobs::JobIndex;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::Transition;

const auto kAnyBackend = [](const std::string&) { return true; };

class TransitionLogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = JobIndex::open(dir_.path() + "/jobs.db");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        index_ = std::move(*opened);
    }
    JobRecord draft(const std::string& id) {
        JobRecord r;
        r.id = id;
        r.backend = "local";
        r.label = "label of " + id;
        r.workFolder = "/tmp";
        r.spec = "{}";
        r.createdAt = 1000;
        r.owner = {"inst-" + id, "client", "sess-" + id, "/proj"};
        return r;
    }
    std::vector<Transition> after(std::int64_t seq) {
        auto t = index_->transitions_after(seq, 100);
        EXPECT_TRUE(t.ok());
        return t.ok() ? *t : std::vector<Transition>{};
    }

    cj::testing::TempDir dir_;
    std::unique_ptr<JobIndex> index_;
};

TEST_F(TransitionLogTest, EveryChangeIsLoggedOnceInOrderWithLabelAndOwner) {
    ASSERT_TRUE(index_->insert(draft("a"), 1).ok());  // running
    ASSERT_TRUE(index_->insert(draft("b"), 1).ok());  // queued
    ASSERT_TRUE(*index_->finish("a", JobState::Failed, 1, "exit code 1", "", "", 2000));
    EXPECT_FALSE(*index_->finish("a", JobState::Completed, 0, "again", "", "", 3000));
    auto promoted = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(promoted.ok() && promoted->has_value());
    ASSERT_TRUE(
        *index_->finish("b", JobState::Completed, 0, "completed: exit code 0", "", "", 4000));

    auto log = after(0);
    ASSERT_EQ(log.size(), 5u);
    auto is = [](const Transition& t, const char* id, std::optional<JobState> from, JobState to) {
        return t.jobId == id && t.from == from && t.to == to;
    };
    EXPECT_TRUE(is(log[0], "a", std::nullopt, JobState::Running));
    EXPECT_TRUE(is(log[1], "b", std::nullopt, JobState::Queued));
    EXPECT_TRUE(is(log[2], "a", JobState::Running, JobState::Failed));
    EXPECT_EQ(log[2].reason, "exit code 1");
    EXPECT_EQ(log[2].at, 2000);
    EXPECT_TRUE(is(log[3], "b", JobState::Queued, JobState::Running));
    EXPECT_TRUE(is(log[4], "b", JobState::Running, JobState::Completed));
    for (std::size_t i = 1; i < log.size(); ++i) EXPECT_GT(log[i].seq, log[i - 1].seq);
    EXPECT_EQ(log[4].label, "label of b");
    EXPECT_EQ(log[4].ownerInstance, "inst-b");
    EXPECT_EQ(log[4].ownerSession, "sess-b");
    EXPECT_EQ(*index_->last_transition(), log[4].seq);
    EXPECT_TRUE(after(log[4].seq).empty());
    EXPECT_EQ(after(log[2].seq).size(), 2u);
}

TEST_F(TransitionLogTest, CancellingAQueuedJobIsLogged) {
    ASSERT_TRUE(index_->insert(draft("a"), 0).ok());  // no slot: queued
    ASSERT_TRUE(*index_->cancel_queued("a", "cancelled by request while queued", 1500));
    EXPECT_FALSE(*index_->cancel_queued("a", "again", 1600));
    auto log = after(0);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1].from, JobState::Queued);
    EXPECT_EQ(log[1].to, JobState::Cancelled);
}

TEST_F(TransitionLogTest, RemovingAJobRemovesItsLog) {
    ASSERT_TRUE(index_->insert(draft("a"), 1).ok());
    ASSERT_TRUE(index_->insert(draft("b"), 2).ok());
    ASSERT_TRUE(*index_->finish("a", JobState::Completed, 0, "done", "", "", 2000));
    ASSERT_TRUE(index_->remove("a").ok());
    auto log = after(0);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].jobId, "b");
}

TEST_F(TransitionLogTest, ListenerHearsOfEachCommittedChangeOnly) {
    std::atomic<int> heard{0};
    index_->on_transition([&] { ++heard; });
    ASSERT_TRUE(index_->insert(draft("a"), 1).ok());
    EXPECT_EQ(heard, 1);
    ASSERT_TRUE(*index_->finish("a", JobState::Completed, 0, "done", "", "", 2000));
    EXPECT_EQ(heard, 2);
    ASSERT_TRUE(index_->finish("a", JobState::Failed, 0, "late", "", "", 3000).ok());  // no change
    ASSERT_TRUE(index_->set_session_id("a", "s").ok());  // not a state
    EXPECT_EQ(heard, 2);
    EXPECT_FALSE(index_->insert(draft("a"), 1).ok());  // already exists: nothing committed
    EXPECT_EQ(heard, 2);
}

TEST_F(TransitionLogTest, OwnerIsStoredWithTheRow) {
    ASSERT_TRUE(index_->insert(draft("a"), 1).ok());
    auto row = index_->get("a");
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->owner.instance, "inst-a");
    EXPECT_EQ((*row)->owner.client, "client");
    EXPECT_EQ((*row)->owner.session, "sess-a");
    EXPECT_EQ((*row)->owner.project, "/proj");
}

}  // namespace

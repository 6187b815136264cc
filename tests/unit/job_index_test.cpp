// Tests of the SQLite job index: the concurrency cap and FIFO queue decided inside its
// transactions, idempotency, terminal states that never change, listing with cursors, the
// retention sweep's queries, two processes sharing one file, and the file's private mode.
#include "core/jobs/job_index.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/temp_dir.h"

namespace {

using cj::jobs::InsertOutcome;
using cj::jobs::JobIndex;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::ListFilter;
using cj::jobs::ListOutcome;
namespace fs = std::filesystem;

using cj::testing::TempDir;

const std::function<bool(const std::string&)> kAnyBackend = [](const std::string&) { return true; };

JobRecord draft(const std::string& id, std::int64_t createdAt = 1000, const std::string& label = "",
                const std::string& key = "") {
    JobRecord r;
    r.id = id;
    r.backend = "local";
    r.label = label;
    r.promptPreview = "prompt of " + id;
    r.workFolder = "/tmp";
    r.spec = R"({"model":"m"})";
    r.idempotencyKey = key;
    r.createdAt = createdAt;
    return r;
}

class JobIndexTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dir_.path().empty());
        dbPath_ = dir_.path() + "/jobs.db";
        auto opened = JobIndex::open(dbPath_);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        index_ = std::move(*opened);
    }

    InsertOutcome insert(JobRecord r, int maxRunning) {
        auto out = index_->insert(std::move(r), maxRunning);
        EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
        return out.ok() ? *out : InsertOutcome{};
    }

    JobRecord get(const std::string& id) {
        auto r = index_->get(id);
        EXPECT_TRUE(r.ok());
        EXPECT_TRUE(r.ok() && r->has_value()) << "no row " << id;
        return r.ok() && r->has_value() ? **r : JobRecord{};
    }

    bool finish(const std::string& id, JobState state, std::int64_t endedAt = 5000) {
        auto r = index_->finish(id, state, 0, "done", "", "", endedAt);
        EXPECT_TRUE(r.ok());
        return r.ok() && *r;
    }

    ListOutcome list(const ListFilter& filter) {
        auto r = index_->list(filter);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : ListOutcome{};
    }

    TempDir dir_;
    std::string dbPath_;
    std::unique_ptr<JobIndex> index_;
};

std::vector<std::string> ids_of(const std::vector<JobRecord>& jobs) {
    std::vector<std::string> out;
    for (const auto& j : jobs) out.push_back(j.id);
    return out;
}

std::int64_t count_of(const ListOutcome& out, JobState state) {
    for (const auto& [s, n] : out.counts)
        if (s == state) return n;
    return 0;
}

TEST_F(JobIndexTest, InsertRunsWhileSlotsAreFreeThenQueues) {
    InsertOutcome a = insert(draft("a", 1111), 2);
    InsertOutcome b = insert(draft("b", 2222), 2);
    InsertOutcome c = insert(draft("c", 3333), 2);
    EXPECT_FALSE(a.existing);
    EXPECT_EQ(a.job.state, JobState::Running);
    EXPECT_EQ(a.job.claimedAt, 1111);
    EXPECT_EQ(b.job.state, JobState::Running);
    EXPECT_EQ(c.job.state, JobState::Queued);
    EXPECT_EQ(c.job.claimedAt, 0);
    EXPECT_LT(a.job.seq, b.job.seq);
    EXPECT_LT(b.job.seq, c.job.seq);

    JobRecord stored = get("c");
    EXPECT_EQ(stored.state, JobState::Queued);
    EXPECT_EQ(stored.seq, c.job.seq);
    EXPECT_EQ(stored.backend, "local");
    EXPECT_EQ(stored.promptPreview, "prompt of c");
    EXPECT_EQ(stored.workFolder, "/tmp");
    EXPECT_EQ(stored.spec, R"({"model":"m"})");
    EXPECT_EQ(stored.createdAt, 3333);
    EXPECT_FALSE(stored.exitCode.has_value());
    EXPECT_EQ(get("a").state, JobState::Running);
    EXPECT_EQ(get("a").claimedAt, 1111);
}

TEST_F(JobIndexTest, InsertQueuesBehindAQueuedJobEvenWithAFreeSlot) {
    insert(draft("first"), 1);
    EXPECT_EQ(insert(draft("second"), 1).job.state, JobState::Queued);
    ASSERT_TRUE(finish("first", JobState::Completed));
    // A slot is free now, but "second" waited longer: the newcomer must not overtake it.
    EXPECT_EQ(insert(draft("third"), 1).job.state, JobState::Queued);
    EXPECT_EQ(get("third").state, JobState::Queued);

    auto promoted = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(promoted.ok());
    ASSERT_TRUE(promoted->has_value());
    EXPECT_EQ((*promoted)->id, "second");
}

TEST_F(JobIndexTest, IdempotencyKeyReturnsTheExistingJob) {
    InsertOutcome first = insert(draft("a", 1000, "", "key-1"), 4);
    ASSERT_FALSE(first.existing);
    InsertOutcome again = insert(draft("b", 2000, "", "key-1"), 4);
    EXPECT_TRUE(again.existing);
    EXPECT_EQ(again.job.id, "a");
    EXPECT_EQ(again.job.seq, first.job.seq);
    EXPECT_EQ(again.job.idempotencyKey, "key-1");
    EXPECT_EQ(again.job.createdAt, 1000);

    auto b = index_->get("b");
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE(b->has_value()) << "a second row was inserted";

    auto found = index_->find_by_idempotency_key("key-1");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, "a");
    auto missing = index_->find_by_idempotency_key("key-2");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());

    // The key still names the job once it has ended.
    ASSERT_TRUE(finish("a", JobState::Failed));
    InsertOutcome late = insert(draft("c", 3000, "", "key-1"), 4);
    EXPECT_TRUE(late.existing);
    EXPECT_EQ(late.job.id, "a");
    EXPECT_EQ(late.job.state, JobState::Failed);
}

TEST_F(JobIndexTest, JobsWithoutKeysDoNotShareOne) {
    EXPECT_FALSE(insert(draft("a"), 4).existing);
    EXPECT_FALSE(insert(draft("b"), 4).existing);
    EXPECT_EQ(get("b").idempotencyKey, "");
    auto none = index_->find_by_idempotency_key("");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

TEST_F(JobIndexTest, DuplicateIdIsAlreadyExists) {
    insert(draft("same"), 4);
    auto again = index_->insert(draft("same", 2000), 4);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, claude_jobs::ErrorCode::AlreadyExists);
    EXPECT_NE(again.error().message.find("same"), std::string::npos);
    EXPECT_EQ(get("same").createdAt, 1000);
    EXPECT_EQ(list({}).jobs.size(), 1u);
}

TEST_F(JobIndexTest, PromoteNextRespectsTheCapAndFifoOrder) {
    insert(draft("a"), 1);
    insert(draft("b"), 1);
    insert(draft("c"), 1);
    insert(draft("d"), 1);

    auto none = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << "promoted past the cap";

    ASSERT_TRUE(finish("a", JobState::Completed));
    auto b = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(b->has_value());
    EXPECT_EQ((*b)->id, "b");
    EXPECT_EQ((*b)->state, JobState::Running);
    EXPECT_GT((*b)->claimedAt, 0);
    EXPECT_EQ(get("b").state, JobState::Running);
    EXPECT_EQ(get("b").claimedAt, (*b)->claimedAt);

    auto capped = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(capped.ok());
    EXPECT_FALSE(capped->has_value());

    std::vector<std::string> order;
    for (int i = 0; i < 4; ++i) {
        auto next = index_->promote_next(3, kAnyBackend);
        ASSERT_TRUE(next.ok());
        if (!next->has_value()) break;
        order.push_back((*next)->id);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"c", "d"}));
    auto active = index_->active();
    ASSERT_TRUE(active.ok());
    EXPECT_EQ(ids_of(*active), (std::vector<std::string>{"b", "c", "d"}));
}

TEST_F(JobIndexTest, FinishRecordsTheEndOnceAndNeverAgain) {
    insert(draft("a"), 4);
    ASSERT_TRUE(index_->set_session_id("a", "sess-1").ok());
    auto first =
        index_->finish("a", JobState::Failed, 1, "exit code 1: boom", R"({"text":"x"})", "", 7000);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(*first);
    JobRecord ended = get("a");
    EXPECT_EQ(ended.state, JobState::Failed);
    ASSERT_TRUE(ended.exitCode.has_value());
    EXPECT_EQ(*ended.exitCode, 1);
    EXPECT_EQ(ended.reason, "exit code 1: boom");
    EXPECT_EQ(ended.result, R"({"text":"x"})");
    EXPECT_EQ(ended.sessionId, "sess-1") << "an empty session id must keep the known one";
    EXPECT_EQ(ended.endedAt, 7000);

    auto second = index_->finish("a", JobState::Completed, 0, "completed", "", "sess-2", 9000);
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(*second);
    JobRecord unchanged = get("a");
    EXPECT_EQ(unchanged.state, JobState::Failed);
    EXPECT_EQ(*unchanged.exitCode, 1);
    EXPECT_EQ(unchanged.reason, "exit code 1: boom");
    EXPECT_EQ(unchanged.sessionId, "sess-1");
    EXPECT_EQ(unchanged.endedAt, 7000);

    // Other routes to a terminal row leave it alone as well.
    auto cancel = index_->cancel_queued("a", "cancelled", 9500);
    ASSERT_TRUE(cancel.ok());
    EXPECT_FALSE(*cancel);
    auto promoted = index_->promote_next(10, kAnyBackend);
    ASSERT_TRUE(promoted.ok());
    EXPECT_FALSE(promoted->has_value());
    EXPECT_EQ(get("a").state, JobState::Failed);
}

TEST_F(JobIndexTest, FinishStoresANewSessionIdAndNoExitCode) {
    insert(draft("a"), 4);
    auto r = index_->finish("a", JobState::Orphaned, std::nullopt, "supervisor vanished", "",
                            "sess-9", 100);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r);
    JobRecord j = get("a");
    EXPECT_EQ(j.state, JobState::Orphaned);
    EXPECT_FALSE(j.exitCode.has_value());
    EXPECT_EQ(j.sessionId, "sess-9");
}

TEST_F(JobIndexTest, FinishOfAQueuedJobAndOfAnUnknownId) {
    insert(draft("a"), 1);
    insert(draft("q"), 1);
    EXPECT_TRUE(finish("q", JobState::TimedOut));
    EXPECT_EQ(get("q").state, JobState::TimedOut);
    auto unknown = index_->finish("nope", JobState::Completed, 0, "", "", "", 1);
    ASSERT_TRUE(unknown.ok());
    EXPECT_FALSE(*unknown);
}

TEST_F(JobIndexTest, CancelQueuedOnlyCancelsQueuedJobs) {
    insert(draft("run"), 1);
    insert(draft("wait"), 1);

    auto running = index_->cancel_queued("run", "cancelled by request", 10);
    ASSERT_TRUE(running.ok());
    EXPECT_FALSE(*running);
    EXPECT_EQ(get("run").state, JobState::Running);

    auto queued = index_->cancel_queued("wait", "cancelled while queued", 20);
    ASSERT_TRUE(queued.ok());
    EXPECT_TRUE(*queued);
    JobRecord j = get("wait");
    EXPECT_EQ(j.state, JobState::Cancelled);
    EXPECT_EQ(j.reason, "cancelled while queued");
    EXPECT_EQ(j.endedAt, 20);
    EXPECT_TRUE(j.cancelRequested);

    auto again = index_->cancel_queued("wait", "other", 30);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
    EXPECT_EQ(get("wait").reason, "cancelled while queued");

    auto next = index_->promote_next(5, kAnyBackend);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(next->has_value()) << "a cancelled job was launched";
}

TEST_F(JobIndexTest, LaunchAndCancelRequestAreStored) {
    insert(draft("a"), 4);
    EXPECT_FALSE(get("a").cancelRequested);
    auto launched = index_->set_launched("a", R"({"pid":42})", 4242);
    ASSERT_TRUE(launched.ok());
    EXPECT_TRUE(*launched);
    ASSERT_TRUE(index_->set_cancel_requested("a", 7).ok());
    JobRecord j = get("a");
    EXPECT_EQ(j.handle, R"({"pid":42})");
    EXPECT_EQ(j.startedAt, 4242);
    EXPECT_TRUE(j.cancelRequested);
    EXPECT_EQ(j.cancelGraceSec, 7);
    EXPECT_EQ(j.state, JobState::Running);
}

TEST_F(JobIndexTest, LaunchOfAnEndedJobIsNotRecorded) {
    insert(draft("a"), 4);
    ASSERT_TRUE(index_->finish("a", JobState::Failed, std::nullopt, "gave up", "", "", 5).ok());
    auto launched = index_->set_launched("a", R"({"pid":42})", 4242);
    ASSERT_TRUE(launched.ok());
    EXPECT_FALSE(*launched) << "a handle was written into a terminal row";
    EXPECT_EQ(get("a").handle, "");
}

TEST_F(JobIndexTest, ALaunchedJobIsHeldAfterItsEndUntilReleased) {
    auto ids = [&] {
        std::vector<std::string> out;
        auto held = index_->held_after_end({"local"}, 10);
        EXPECT_TRUE(held.ok());
        if (held.ok())
            for (const auto& j : *held) out.push_back(j.id);
        return out;
    };
    insert(draft("a"), 4);
    insert(draft("b"), 4);
    insert(draft("never"), 4);
    ASSERT_TRUE(index_->set_launched("a", R"({"pid":42})", 1).ok());
    ASSERT_TRUE(index_->set_launched("b", R"({"pid":43})", 1).ok());
    EXPECT_TRUE(ids().empty()) << "running jobs are not listed";
    ASSERT_TRUE(index_->finish("a", JobState::Completed, 0, "done", "", "", 5).ok());
    ASSERT_TRUE(index_->finish("b", JobState::Failed, 1, "no", "", "", 6).ok());
    ASSERT_TRUE(index_->finish("never", JobState::Failed, 1, "no", "", "", 6).ok());
    EXPECT_EQ(ids(), (std::vector<std::string>{"a", "b"})) << "only launched jobs are held";
    JobRecord elsewhere = draft("elsewhere");
    elsewhere.backend = "sandbox";
    insert(elsewhere, 4);
    ASSERT_TRUE(index_->set_launched("elsewhere", R"({"pid":44})", 1).ok());
    ASSERT_TRUE(index_->finish("elsewhere", JobState::Completed, 0, "done", "", "", 7).ok());
    EXPECT_EQ(ids(), (std::vector<std::string>{"a", "b"})) << "only jobs on the backends asked for";
    auto both = index_->held_after_end({"local", "sandbox"}, 10);
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->size(), 3u);
    ASSERT_TRUE(index_->release("a").ok());
    EXPECT_EQ(ids(), (std::vector<std::string>{"b"}));
    ASSERT_TRUE(index_->remove("b").ok());
    EXPECT_TRUE(ids().empty()) << "a removed job is no longer held";
}

TEST_F(JobIndexTest, QueueHeadOnAnotherBackendWaitsForItsServer) {
    insert(draft("run"), 1);
    JobRecord other = draft("other");
    other.backend = "sandbox";
    insert(other, 1);
    insert(draft("later"), 1);
    ASSERT_TRUE(index_->finish("run", JobState::Completed, 0, "done", "", "", 5).ok());
    auto local_only = [](const std::string& b) { return b == "local"; };
    auto none = index_->promote_next(1, local_only);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << "a later job overtook the queue head";
    EXPECT_EQ(get("other").state, JobState::Queued);
    auto head = index_->promote_next(1, kAnyBackend);
    ASSERT_TRUE(head.ok() && head->has_value());
    EXPECT_EQ((*head)->id, "other");
}

TEST_F(JobIndexTest, GetOfAnUnknownIdIsEmpty) {
    auto r = index_->get("missing");
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
    // Ids are bound values, never SQL.
    auto hostile = index_->get("x' OR '1'='1");
    ASSERT_TRUE(hostile.ok());
    EXPECT_FALSE(hostile->has_value());
}

TEST_F(JobIndexTest, ListIsNewestFirstWithStateAndLabelFilters) {
    insert(draft("a", 1, "red"), 1);   // running
    insert(draft("b", 2, "blue"), 1);  // queued
    insert(draft("c", 3, "red"), 1);   // queued
    insert(draft("d", 4, "red"), 1);   // queued
    ASSERT_TRUE(index_->cancel_queued("c", "cancelled", 5).ok());

    ListOutcome all = list({});
    EXPECT_EQ(ids_of(all.jobs), (std::vector<std::string>{"d", "c", "b", "a"}));
    EXPECT_EQ(all.nextBeforeSeq, 0);
    EXPECT_EQ(count_of(all, JobState::Running), 1);
    EXPECT_EQ(count_of(all, JobState::Queued), 2);
    EXPECT_EQ(count_of(all, JobState::Cancelled), 1);
    EXPECT_EQ(count_of(all, JobState::Completed), 0);

    ListFilter queued;
    queued.states = {JobState::Queued};
    EXPECT_EQ(ids_of(list(queued).jobs), (std::vector<std::string>{"d", "b"}));

    ListFilter several;
    several.states = {JobState::Running, JobState::Cancelled};
    EXPECT_EQ(ids_of(list(several).jobs), (std::vector<std::string>{"c", "a"}));

    ListFilter red;
    red.label = "red";
    ListOutcome reds = list(red);
    EXPECT_EQ(ids_of(reds.jobs), (std::vector<std::string>{"d", "c", "a"}));
    // Counts follow the label but not the state filter.
    EXPECT_EQ(count_of(reds, JobState::Queued), 1);
    EXPECT_EQ(count_of(reds, JobState::Running), 1);
    EXPECT_EQ(count_of(reds, JobState::Cancelled), 1);

    ListFilter redQueued = red;
    redQueued.states = {JobState::Queued};
    ListOutcome rq = list(redQueued);
    EXPECT_EQ(ids_of(rq.jobs), (std::vector<std::string>{"d"}));
    EXPECT_EQ(count_of(rq, JobState::Cancelled), 1);

    ListFilter none;
    none.label = "green";
    ListOutcome empty = list(none);
    EXPECT_TRUE(empty.jobs.empty());
    EXPECT_TRUE(empty.counts.empty());
    EXPECT_EQ(empty.nextBeforeSeq, 0);
}

TEST_F(JobIndexTest, CountsFollowInsertsEndsAndRemovals) {
    insert(draft("a", 1, "red"), 1);  // running
    insert(draft("b", 2, "red"), 1);  // queued
    ASSERT_TRUE(index_->finish("a", JobState::Completed, 0, "done", "", "", 3).ok());
    ASSERT_TRUE(index_->cancel_queued("b", "cancelled", 4).ok());
    ASSERT_TRUE(index_->remove("b").ok());
    ListFilter red;
    red.label = "red";
    ListOutcome reds = list(red);
    EXPECT_EQ(count_of(reds, JobState::Completed), 1);
    EXPECT_EQ(count_of(reds, JobState::Running), 0);
    EXPECT_EQ(count_of(reds, JobState::Queued), 0);
    EXPECT_EQ(count_of(reds, JobState::Cancelled), 0);
    EXPECT_EQ(count_of(list({}), JobState::Completed), 1);
}

// A label's page and every count are read through an index, never by a scan of the table.
TEST_F(JobIndexTest, ListingReadsIndexesNotTheWholeTable) {
    std::string plans;
    auto plan = [&](const std::string& sql) {
        ASSERT_TRUE(index_
                        ->read_with([&](sqlite3* db) -> claude_jobs::Result<void> {
                            sqlite3_stmt* st = nullptr;
                            std::string q = "EXPLAIN QUERY PLAN " + sql;
                            sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr);
                            plans += sql + ":";
                            while (sqlite3_step(st) == SQLITE_ROW)
                                plans += " " + std::string(reinterpret_cast<const char*>(
                                                   sqlite3_column_text(st, 3)));
                            plans += "\n";
                            sqlite3_finalize(st);
                            return {};
                        })
                        .ok());
    };
    plan("SELECT id FROM jobs WHERE label = 'x' ORDER BY seq DESC LIMIT 51");
    plan("SELECT id FROM jobs WHERE state IN ('running') ORDER BY seq DESC LIMIT 51");
    plan("SELECT state, SUM(n) FROM job_counts GROUP BY state");
    plan("SELECT state, n FROM job_counts WHERE label = 'x'");
    EXPECT_NE(plans.find("USING INDEX jobs_by_label"), std::string::npos) << plans;
    EXPECT_NE(plans.find("USING INDEX jobs_by_state"), std::string::npos) << plans;
    EXPECT_EQ(plans.find("SCAN jobs"), std::string::npos) << plans;
}

TEST_F(JobIndexTest, PaginationVisitsEveryRowExactlyOnce) {
    constexpr int kJobs = 23;
    for (int i = 0; i < kJobs; ++i)
        insert(draft("job-" + std::to_string(i), i, i % 2 ? "odd" : "even"), 3);

    for (int limit : {1, 5, 23, 50}) {
        ListFilter filter;
        filter.limit = limit;
        std::vector<std::string> seen;
        std::int64_t lastSeq = INT64_MAX;
        int pages = 0;
        for (;;) {
            ListOutcome page = list(filter);
            ASSERT_LE(page.jobs.size(), static_cast<std::size_t>(limit));
            for (const auto& j : page.jobs) {
                EXPECT_LT(j.seq, lastSeq) << "not newest first";
                lastSeq = j.seq;
                seen.push_back(j.id);
            }
            ++pages;
            ASSERT_LE(pages, kJobs + 1) << "the cursor does not advance";
            if (page.nextBeforeSeq == 0) break;
            EXPECT_EQ(page.jobs.size(), static_cast<std::size_t>(limit));
            EXPECT_EQ(page.nextBeforeSeq, page.jobs.back().seq);
            filter.beforeSeq = page.nextBeforeSeq;
        }
        EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs)) << "limit " << limit;
        EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size())
            << "a row came twice with limit " << limit;
        EXPECT_EQ(pages, (kJobs + limit - 1) / limit) << "limit " << limit;
    }

    // With a filter the cursor covers exactly the matching rows.
    ListFilter odd;
    odd.label = "odd";
    odd.states = {JobState::Queued};
    odd.limit = 4;
    std::vector<std::string> seen;
    for (int pages = 0; pages < kJobs; ++pages) {
        ListOutcome page = list(odd);
        for (const auto& j : page.jobs) {
            EXPECT_EQ(j.label, "odd");
            EXPECT_EQ(j.state, JobState::Queued);
            seen.push_back(j.id);
        }
        if (page.nextBeforeSeq == 0) break;
        odd.beforeSeq = page.nextBeforeSeq;
    }
    // job-1 and job-3 and job-5 ... : the first three jobs run, so odd queued ones start at 3.
    std::vector<std::string> expected;
    for (int i = kJobs - 1; i >= 3; --i)
        if (i % 2) expected.push_back("job-" + std::to_string(i));
    EXPECT_EQ(seen, expected);
}

TEST_F(JobIndexTest, EndedBeforeFindsOnlyOldTerminalJobs) {
    insert(draft("old"), 3);
    insert(draft("new"), 3);
    insert(draft("live"), 3);
    insert(draft("waiting"), 3);
    ASSERT_TRUE(finish("old", JobState::Completed, 100));
    ASSERT_TRUE(finish("new", JobState::Failed, 300));

    auto expired = index_->ended_before(200);
    ASSERT_TRUE(expired.ok());
    EXPECT_EQ(*expired, (std::vector<std::string>{"old"}));

    auto later = index_->ended_before(1000);
    ASSERT_TRUE(later.ok());
    std::vector<std::string> both = *later;
    std::sort(both.begin(), both.end());
    EXPECT_EQ(both, (std::vector<std::string>{"new", "old"}));

    ASSERT_TRUE(index_->remove("old").ok());
    auto gone = index_->get("old");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());

    // Active rows are never removed.
    ASSERT_TRUE(index_->remove("live").ok());
    ASSERT_TRUE(index_->remove("waiting").ok());
    EXPECT_EQ(get("live").state, JobState::Running);
    EXPECT_EQ(get("waiting").state, JobState::Queued);
    EXPECT_TRUE(index_->remove("never-was").ok());
    EXPECT_EQ(list({}).jobs.size(), 3u);
}

TEST_F(JobIndexTest, RowsSurviveReopening) {
    insert(draft("kept", 1, "lbl", "k"), 4);
    index_.reset();
    auto reopened = JobIndex::open(dbPath_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    auto j = (*reopened)->get("kept");
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE(j->has_value());
    EXPECT_EQ((*j)->label, "lbl");
    EXPECT_EQ((*j)->state, JobState::Running);
    auto check = (*reopened)->integrity_check();
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(*check, "");
}

// The WAL is grown once, after the first synchronous commit, to the length SQLite reuses it
// at (a commit over blocks the file has is synced without a file-system journal commit), and
// kept when the index closes; every row stays readable through it, across a checkpoint and a
// reopening.
TEST_F(JobIndexTest, TheWalIsGrownOnceAndKeptAndEveryRowStaysReadable) {
    const std::string wal = dbPath_ + "-wal";
    auto walSize = [&] {
        struct stat st {};
        return ::stat(wal.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
    };
    constexpr std::int64_t kGrown = 4'000'000;  // ~1,000 pages of 4 KiB and their headers
    insert(draft("first"), 1000);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (walSize() < kGrown && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(walSize(), kGrown) << "the WAL was not grown after the first synchronous commit";
    const std::int64_t grown = walSize();
    // Enough commits for an automatic checkpoint and a reset of the log over the zeros.
    for (int i = 0; i < 400; ++i) insert(draft("job-" + std::to_string(i)), 1000);
    EXPECT_EQ(get("first").id, "first");
    EXPECT_EQ(get("job-399").id, "job-399");
    index_.reset();
    EXPECT_GE(walSize(), grown) << "the WAL was deleted or cut when the index closed";
    auto reopened = JobIndex::open(dbPath_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    for (const char* id : {"first", "job-0", "job-399"}) {
        auto j = (*reopened)->get(id);
        ASSERT_TRUE(j.ok() && j->has_value()) << id;
    }
    auto check = (*reopened)->integrity_check();
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(*check, "");
}

TEST_F(JobIndexTest, DatabaseFileIsPrivate) {
    insert(draft("a"), 4);
    struct stat st {};
    ASSERT_EQ(::stat(dbPath_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    for (const char* suffix : {"-wal", "-shm"}) {
        std::string side = dbPath_ + suffix;
        if (::stat(side.c_str(), &st) == 0) {
            EXPECT_EQ(st.st_mode & 0077, 0u) << side;
        }
    }
}

TEST_F(JobIndexTest, OpenRefusesASymlinkAndAMissingFolder) {
    insert(draft("a"), 4);
    std::string link = dir_.path() + "/link.db";
    ASSERT_EQ(::symlink(dbPath_.c_str(), link.c_str()), 0);
    EXPECT_FALSE(JobIndex::open(link).ok()) << "opened the database through a symlink";

    auto missing = JobIndex::open(dir_.path() + "/no/such/folder/jobs.db");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no/such/folder"), std::string::npos);
}

// Two JobIndex objects on one file behave like two server processes: separate connections,
// the cap enforced by the database's write lock alone.
TEST_F(JobIndexTest, TwoIndexesOnOneFileShareTheCapUnderContention) {
    auto second = JobIndex::open(dbPath_);
    ASSERT_TRUE(second.ok()) << second.error().message;
    JobIndex* indexes[] = {index_.get(), second->get()};

    constexpr int kThreads = 4;
    constexpr int kPerThread = 50;
    constexpr int kCap = 5;
    std::atomic<int> failures{0};
    std::atomic<int> running{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            JobIndex* index = indexes[t % 2];
            for (int i = 0; i < kPerThread; ++i) {
                auto r = index->insert(
                    draft("t" + std::to_string(t) + "-" + std::to_string(i), 1000 + i), kCap);
                if (!r.ok() || r->existing) {
                    ++failures;
                } else if (r->job.state == JobState::Running) {
                    ++running;
                }
            }
        });
    }
    for (auto& th : threads) th.join();

    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(running.load(), kCap) << "inserts reported as running";
    ListFilter filter;
    filter.limit = 1000;
    for (JobIndex* index : indexes) {
        auto r = index->list(filter);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->jobs.size(), static_cast<std::size_t>(kThreads * kPerThread));
        std::set<std::string> ids;
        std::set<std::int64_t> seqs;
        for (const auto& j : r->jobs) {
            ids.insert(j.id);
            seqs.insert(j.seq);
        }
        EXPECT_EQ(ids.size(), r->jobs.size()) << "duplicate ids";
        EXPECT_EQ(seqs.size(), r->jobs.size()) << "duplicate seqs";
        EXPECT_EQ(count_of(*r, JobState::Running), kCap);
        EXPECT_EQ(count_of(*r, JobState::Queued), kThreads * kPerThread - kCap);
    }

    // Promotion across both connections keeps the cap too: one slot freed, one job promoted.
    auto before = index_->active();
    ASSERT_TRUE(before.ok());
    auto firstRunning = std::find_if(before->begin(), before->end(), [](const JobRecord& j) {
        return j.state == JobState::Running;
    });
    ASSERT_NE(firstRunning, before->end());
    ASSERT_TRUE(finish(firstRunning->id, JobState::Completed));
    std::atomic<int> promoted{0};
    std::vector<std::thread> promoters;
    for (int t = 0; t < kThreads; ++t) {
        promoters.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                auto r = indexes[t % 2]->promote_next(kCap, kAnyBackend);
                if (!r.ok()) ++failures;
                if (r.ok() && r->has_value()) ++promoted;
            }
        });
    }
    for (auto& th : promoters) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(promoted.load(), 1);
    auto after = index_->active();
    ASSERT_TRUE(after.ok());
    int nowRunning = 0;
    for (const auto& j : *after) nowRunning += j.state == JobState::Running;
    EXPECT_EQ(nowRunning, kCap);
    EXPECT_EQ(after->size(), before->size() - 1);
}

}  // namespace

namespace {

TEST_F(JobIndexTest, LaunchInputsLiveFromAcceptanceToLaunch) {
    auto out = index_->insert(draft("a"), 4, cj::jobs::LaunchInputs{"the prompt", R"({"plan":1})"});
    ASSERT_TRUE(out.ok()) << out.error().message;
    auto inputs = index_->launch_inputs("a");
    ASSERT_TRUE(inputs.ok() && inputs->has_value());
    EXPECT_EQ((*inputs)->prompt, "the prompt");
    EXPECT_EQ((*inputs)->plan, R"({"plan":1})");
    ASSERT_TRUE(index_->forget_launch_inputs("a").ok());
    // Forgetting is written in the background (a launch never waits for it): wait for it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto gone = index_->launch_inputs("a");
    while (gone.ok() && gone->has_value() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        gone = index_->launch_inputs("a");
    }
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value()) << "the plan (it holds the environment) outlived the launch";
    // An idempotent repeat keeps the first job's inputs.
    JobRecord keyed = draft("k", 1000, "", "key");
    ASSERT_TRUE(index_->insert(keyed, 4, cj::jobs::LaunchInputs{"first", "p1"}).ok());
    JobRecord again = draft("k2", 1000, "", "key");
    auto repeat = index_->insert(again, 4, cj::jobs::LaunchInputs{"second", "p2"});
    ASSERT_TRUE(repeat.ok());
    EXPECT_TRUE(repeat->existing);
    EXPECT_EQ((*index_->launch_inputs("k"))->prompt, "first");
    EXPECT_FALSE(index_->launch_inputs("k2")->has_value());
}

TEST(JobIndexOpenTest, ManyProcessesMayCreateTheSameIndexAtOnce) {
    TempDir dir;
    std::string path = dir.path() + "/jobs.db";
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    std::vector<std::string> errors(8);
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            auto opened = JobIndex::open(path);
            if (!opened) {
                ++failures;
                errors[i] = opened.error().message;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0) << errors[0] << errors[1];
}

}  // namespace

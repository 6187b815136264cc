// Tests of the transition feed: subscribers get every change logged after they subscribed,
// in order and once, whether this process or another logged it; unsubscribing stops it.
#include "core/jobs/transition_feed.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using cj::jobs::JobIndex;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::Transition;
using cj::jobs::TransitionFeed;

// What a subscriber saw, waited on with a condition (never a sleep).
struct Seen {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Transition> items;
    void add(const Transition& t) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            items.push_back(t);
        }
        cv.notify_all();
    }
    bool wait_for_count(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, limit, [&] { return items.size() >= n; });
    }
    std::size_t size() {
        std::lock_guard<std::mutex> lock(mutex);
        return items.size();
    }
    std::vector<Transition> snapshot() {
        std::lock_guard<std::mutex> lock(mutex);
        return items;
    }
};

JobRecord draft(const std::string& id) {
    JobRecord r;
    r.id = id;
    r.backend = "local";
    r.workFolder = "/tmp";
    r.spec = "{}";
    r.createdAt = 1000;
    return r;
}

std::unique_ptr<JobIndex> open(const std::string& path) {
    auto opened = JobIndex::open(path);
    EXPECT_TRUE(opened.ok());
    return opened.ok() ? std::move(*opened) : nullptr;
}

TEST(TransitionFeedTest, SubscriberGetsOnlyWhatIsLoggedAfterItSubscribed) {
    cj::testing::TempDir dir;
    auto index = open(dir.path() + "/jobs.db");
    ASSERT_TRUE(index->insert(draft("before"), 4).ok());
    Seen seen;  // outlives the feed, whose thread calls into it
    TransitionFeed feed(*index);
    index->on_transition([&] { feed.nudge(); });
    feed.subscribe([&](const Transition& t) { seen.add(t); });
    ASSERT_TRUE(index->insert(draft("a"), 4).ok());
    ASSERT_TRUE(*index->finish("a", JobState::Completed, 0, "done", "", "", 2000));
    ASSERT_TRUE(seen.wait_for_count(2));
    auto items = seen.snapshot();
    EXPECT_EQ(items[0].jobId, "a");
    EXPECT_EQ(items[0].to, JobState::Running);
    EXPECT_EQ(items[1].to, JobState::Completed);
    index->on_transition(nullptr);
}

TEST(TransitionFeedTest, ChangesLoggedByAnotherProcessArriveByPolling) {
    cj::testing::TempDir dir;
    auto index = open(dir.path() + "/jobs.db");
    auto other = open(dir.path() + "/jobs.db");  // another connection: no nudge reaches the feed
    Seen seen;
    TransitionFeed feed(*index);
    feed.subscribe([&](const Transition& t) { seen.add(t); });
    auto logged = std::chrono::steady_clock::now();
    ASSERT_TRUE(other->insert(draft("x"), 4).ok());
    ASSERT_TRUE(seen.wait_for_count(1));
    EXPECT_EQ(seen.snapshot()[0].jobId, "x");
    // Within a few polls, however loaded the machine (the bound is generous on purpose).
    EXPECT_LT(std::chrono::steady_clock::now() - logged, std::chrono::seconds(2));
}

TEST(TransitionFeedTest, EverySubscriberGetsEachChangeOnceAndUnsubscribeStops) {
    cj::testing::TempDir dir;
    auto index = open(dir.path() + "/jobs.db");
    Seen first, second;
    TransitionFeed feed(*index);
    index->on_transition([&] { feed.nudge(); });
    int firstId = feed.subscribe([&](const Transition& t) { first.add(t); });
    feed.subscribe([&](const Transition& t) { second.add(t); });
    for (int i = 0; i < 30; ++i)
        ASSERT_TRUE(index->insert(draft("j" + std::to_string(i)), 100).ok());
    ASSERT_TRUE(first.wait_for_count(30));
    ASSERT_TRUE(second.wait_for_count(30));
    auto items = first.snapshot();
    for (int i = 0; i < 30; ++i) EXPECT_EQ(items[i].jobId, "j" + std::to_string(i));
    feed.unsubscribe(firstId);
    ASSERT_TRUE(index->insert(draft("late"), 100).ok());
    ASSERT_TRUE(second.wait_for_count(31));
    EXPECT_EQ(first.size(), 30u);  // unsubscribed before "late" was logged
    index->on_transition(nullptr);
}

}  // namespace

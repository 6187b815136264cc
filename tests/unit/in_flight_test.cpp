// Tests of the request workers: a pool that reuses its threads, the work left for after a
// reply, and the id a reply frees. Every wait has a deadline.
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/protocol/in_flight.h"

namespace cj::protocol {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The responses delivered so far, in order, and a way to wait for the n-th.
class Delivered {
  public:
    void add(const json& message) {
        {
            std::lock_guard lock(mutex_);
            messages_.push_back(message);
        }
        cv_.notify_all();
    }
    bool wait_for_count(std::size_t n) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 10s, [&] { return messages_.size() >= n; });
    }
    std::size_t count() {
        std::lock_guard lock(mutex_);
        return messages_.size();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<json> messages_;
};

RequestId id(int n) { return RequestId{static_cast<std::int64_t>(n)}; }

TEST(InFlightRequests, RequestsOneAfterTheOtherReuseOneWorker) {
    Delivered delivered;
    InFlightRequests requests(8, [&](const json& m) { delivered.add(m); });
    for (int i = 1; i <= 20; ++i) {
        auto started = requests.start(id(i), std::make_shared<util::CancelToken>(), [i] {
            return InFlightRequests::Reply{json{{"n", i}}, nullptr};
        });
        ASSERT_EQ(started, InFlightRequests::Start::Started);
        ASSERT_TRUE(delivered.wait_for_count(static_cast<std::size_t>(i)));
        // The worker parks once its reply is out; wait for that before the next request.
        for (auto until = std::chrono::steady_clock::now() + 10s;
             requests.idle_workers() != 1 && std::chrono::steady_clock::now() < until;)
            std::this_thread::yield();
        ASSERT_EQ(requests.idle_workers(), 1u);
    }
    EXPECT_EQ(requests.workers(), 1u);
    requests.wait_all();
    EXPECT_EQ(requests.workers(), 0u);
}

TEST(InFlightRequests, WorkAfterTheReplyRunsOnceItIsDeliveredAndIsWaitedFor) {
    Delivered delivered;
    InFlightRequests requests(8, [&](const json& m) { delivered.add(m); });
    std::promise<void> release;
    auto released = release.get_future().share();
    std::size_t seenByThen = 0;
    bool thenDone = false;
    requests.start(id(1), std::make_shared<util::CancelToken>(), [&] {
        return InFlightRequests::Reply{json{{"n", 1}}, [&] {
                                           seenByThen = delivered.count();
                                           released.wait();
                                           thenDone = true;
                                       }};
    });
    ASSERT_TRUE(delivered.wait_for_count(1));
    // The id is free while the work after the reply still runs: a client may reuse it.
    auto again = requests.start(id(1), std::make_shared<util::CancelToken>(), [] {
        return InFlightRequests::Reply{json{{"n", 2}}, nullptr};
    });
    EXPECT_EQ(again, InFlightRequests::Start::Started);
    ASSERT_TRUE(delivered.wait_for_count(2));
    release.set_value();
    requests.wait_all();
    // Its own reply was out before it ran (the second may have been too: they race).
    EXPECT_GE(seenByThen, 1u);
    EXPECT_TRUE(thenDone);
}

TEST(InFlightRequests, BusyWorkersGetCompanyAndEveryRequestIsAnswered) {
    Delivered delivered;
    InFlightRequests requests(8, [&](const json& m) { delivered.add(m); });
    std::promise<void> release;
    auto released = release.get_future().share();
    for (int i = 1; i <= 5; ++i)
        requests.start(id(i), std::make_shared<util::CancelToken>(), [released, i] {
            released.wait();  // all five at once: each needs a worker of its own
            return InFlightRequests::Reply{json{{"n", i}}, nullptr};
        });
    EXPECT_EQ(requests.workers(), 5u);
    release.set_value();
    ASSERT_TRUE(delivered.wait_for_count(5));
    requests.wait_all();
}

}  // namespace
}  // namespace cj::protocol

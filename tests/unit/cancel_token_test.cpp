// Tests of the cancel token: a wait ends at once when the token fires (from this thread or
// another), and runs its full time when it does not.
#include "core/util/cancel_token.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace {

using cj::util::CancelToken;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(CancelTokenTest, StartsNotCancelled) {
    CancelToken token;
    EXPECT_FALSE(token.cancelled());
}

TEST(CancelTokenTest, WaitReturnsAtOnceOnceCancelled) {
    CancelToken token;
    token.cancel();
    auto started = Clock::now();
    EXPECT_TRUE(token.wait_for(30s));
    EXPECT_LT(Clock::now() - started, 5s);
    EXPECT_TRUE(token.cancelled());
    token.cancel();  // firing twice changes nothing
    EXPECT_TRUE(token.cancelled());
    EXPECT_TRUE(token.wait_for(0ms));
}

TEST(CancelTokenTest, CancelFromAnotherThreadWakesTheWait) {
    CancelToken token;
    std::thread canceller([&] { token.cancel(); });
    auto started = Clock::now();
    bool woke = token.wait_for(30s);
    canceller.join();
    EXPECT_TRUE(woke);
    EXPECT_LT(Clock::now() - started, 5s);
}

TEST(CancelTokenTest, WaitTimesOutWhenNotCancelled) {
    CancelToken token;
    auto started = Clock::now();
    EXPECT_FALSE(token.wait_for(50ms));
    EXPECT_GE(Clock::now() - started, 50ms);
    EXPECT_FALSE(token.cancelled());
}

}  // namespace

// util::RecentPasses: a pass is trusted for its time and then asked again; a key never
// passed, or passed under another name, is not trusted.
#include "core/util/recent_passes.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace {

using cj::util::RecentPasses;
using namespace std::chrono_literals;

TEST(RecentPasses, APassIsTrustedForItsTimeWithItsValue) {
    RecentPasses passes(10s);
    EXPECT_FALSE(passes.recent("claude\n/usr/bin"));
    passes.passed("claude\n/usr/bin", "/usr/bin/claude");
    auto recent = passes.recent("claude\n/usr/bin");
    ASSERT_TRUE(recent);
    EXPECT_EQ(*recent, "/usr/bin/claude");
    EXPECT_FALSE(passes.recent("claude\n/usr/local/bin")) << "another PATH is another check";
}

TEST(RecentPasses, APassExpires) {
    constexpr auto kTrust = 50ms;
    RecentPasses passes(kTrust);
    auto passedAt = std::chrono::steady_clock::now();
    passes.passed("local");
    ASSERT_TRUE(passes.recent("local"));
    // Asked until it is no longer trusted: that must happen, and not before the trust ends.
    auto deadline = passedAt + 5s;
    while (passes.recent("local") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    EXPECT_FALSE(passes.recent("local")) << "still trusted after 5 s";
    EXPECT_GE(std::chrono::steady_clock::now() - passedAt, kTrust);
}

}  // namespace

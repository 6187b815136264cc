// A big event log is read once: what the scan found is kept next to the log, so a server
// that has never read the job (a new process on the same state dir) answers its first check
// without reading the log again, and a scan of one job never holds up a check of another.
// Before the summary was kept, each new server read the whole log (a 1 GiB log: a minute in a
// Debug build), under the job's lock.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>

#include "harness.h"

namespace cj::testing {
namespace {

constexpr std::uint64_t kLogBytes = 30'000'000;

// Bytes of job `id`'s event log the server says (at debug level) that it read.
std::uint64_t log_bytes_read(const std::string& serverLog, const std::string& id) {
    std::regex line("job " + id + R"(: read (\d+) bytes of its event log)");
    std::uint64_t total = 0;
    for (std::sregex_iterator it(serverLog.begin(), serverLog.end(), line), end; it != end; ++it)
        total += std::stoull((*it)[1]);
    return total;
}

// What the kernel counted as read by the process (rchar of /proc/<pid>/io); nullopt when this
// test may not look (a non-dumpable server of another user, without root).
std::optional<std::uint64_t> bytes_read_by(pid_t pid) {
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    for (std::string key; io >> key;) {
        std::uint64_t value = 0;
        io >> value;
        if (key == "rchar:") return value;
    }
    return std::nullopt;
}

class EventSummaryTest : public ::testing::Test {
  protected:
    json start(Server& server, const std::string& prompt) {
        return server.ok("claude_start", {{"prompt", prompt}, {"workFolder", work_.path()}});
    }
    std::string events(const std::string& id) const {
        return state_.path() + "/jobs/" + id + "/events.jsonl";
    }

    TempDir state_{"cj-state"}, work_{"cj-work"};
    json config_ = default_config(state_.path());
};

TEST_F(EventSummaryTest, ASecondServersFirstCheckDoesNotReadTheLogAgain) {
    std::string big, small;
    json ended;
    {
        Server first(state_.path(), config_);
        first.initialize();
        big = start(first, "output " + std::to_string(kLogBytes) + "\nsay the last words")["jobId"];
        small = start(first, "say hello")["jobId"];
        ended = first.wait_done(big, 120);
        ASSERT_EQ(ended["status"], "completed") << ended.dump(2);
        first.wait_done(small);
    }
    auto size = std::filesystem::file_size(events(big));
    ASSERT_GT(size, kLogBytes);
    ASSERT_TRUE(std::filesystem::exists(state_.path() + "/jobs/" + big + "/events.summary.json"));

    Server second(state_.path(), config_);
    second.initialize();
    auto before = bytes_read_by(second.pid());
    json view = second.ok("claude_check", {{"jobId", big}});
    auto after = bytes_read_by(second.pid());
    EXPECT_EQ(view["activity"]["turns"], ended["activity"]["turns"]);
    EXPECT_EQ(view["activity"]["lastText"], "") << "result.text holds the answer";
    EXPECT_EQ(view["result"]["text"], "the last words") << view.dump(2);
    EXPECT_LT(log_bytes_read(second.stderr_text(), big), 64u * 1024) << "the log was read again";
    if (before && after) {
        EXPECT_LT(*after - *before, 4u << 20) << "the server read the log again";
    }

    // Without the summary the log is read whole, and meanwhile other calls are answered.
    std::filesystem::remove(state_.path() + "/jobs/" + big + "/events.summary.json");
    Server third(state_.path(), config_);
    third.initialize();
    third.send({{"jsonrpc", "2.0"},
                {"id", "big"},
                {"method", "tools/call"},
                {"params", {{"name", "claude_check"}, {"arguments", {{"jobId", big}}}}}});
    json other = third.ok("claude_check", {{"jobId", small}});
    EXPECT_EQ(other["result"]["text"], "hello");
    third.ok("claude_jobs", json::object());
    auto scanned = third.response_for("big", std::chrono::seconds(120));
    ASSERT_TRUE(scanned.has_value());
    EXPECT_EQ((*scanned)["result"]["structuredContent"]["result"]["text"], "the last words");
    EXPECT_EQ(log_bytes_read(third.stderr_text(), big), size);
    // The other calls were answered first: the scan held nothing they needed.
    std::vector<std::string> lines = third.stdout_lines();
    auto position = [&](const std::string& needle) {
        for (std::size_t i = 0; i < lines.size(); ++i)
            if (lines[i].find(needle) != std::string::npos) return i;
        return lines.size();
    };
    EXPECT_LT(position("\"hello\""), position("\"id\":\"big\"")) << "a scan held up another check";
}

}  // namespace
}  // namespace cj::testing

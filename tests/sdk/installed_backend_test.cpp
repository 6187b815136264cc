// A third party's backend, built out of tree against the installed SDK, serving jobs in the
// installed server: run by third_party_backend.cmake (not on its own), which installs the
// build, builds examples/gentle-backend from the prefix and passes both locations in the
// environment: CJ_TEST_SERVER (the installed claude-jobs) and CJ_TEST_PLUGIN_DIR (the folder
// holding the example's gentle.so).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "harness.h"

namespace cj::testing {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

class InstalledBackendTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(env("CJ_TEST_SERVER").empty() || env("CJ_TEST_PLUGIN_DIR").empty())
            << "run through tests/sdk/third_party_backend.cmake, which sets CJ_TEST_SERVER "
               "and CJ_TEST_PLUGIN_DIR";
        ASSERT_TRUE(std::filesystem::exists(env("CJ_TEST_PLUGIN_DIR") + "/gentle.so"));
        json config = default_config(state_.path());
        config["pluginDirs"] = {env("CJ_TEST_PLUGIN_DIR")};
        config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                              {"gentle", {{"plugin", "gentle"}, {"niceness", 10}}}};
        config["defaultBackend"] = "gentle";
        server_ = std::make_unique<Server>(state_.path(), config);
        server_->initialize();
    }

    TempDir state_{"cj-installed"}, work_{"cj-work"};
    std::unique_ptr<Server> server_;
};

TEST_F(InstalledBackendTest, LoaderListsTheModuleAndTheBackendIsAvailable) {
    json report = server_->ok("claude_backends", json::object());
    bool listed = false;
    for (const auto& m : report["modules"]) {
        if (m.value("name", "") != "gentle") continue;
        listed = true;
        EXPECT_TRUE(m["loaded"].get<bool>()) << m.dump();
        EXPECT_EQ(m["abi"], m["hostAbi"]) << m.dump();
        EXPECT_EQ(std::filesystem::path(m["path"].get<std::string>()).parent_path(),
                  std::filesystem::canonical(env("CJ_TEST_PLUGIN_DIR")));
    }
    EXPECT_TRUE(listed) << report["modules"].dump(2);
    json gentle;
    for (const auto& b : report["backends"])
        if (b["name"] == "gentle") gentle = b;
    ASSERT_FALSE(gentle.is_null()) << report.dump(2);
    EXPECT_TRUE(gentle["available"].get<bool>()) << gentle.dump();
    EXPECT_TRUE(gentle["default"].get<bool>());
    EXPECT_EQ(gentle["plugin"], "gentle");
    EXPECT_TRUE(gentle["capabilities"]["survivesServerRestart"].get<bool>());
}

TEST_F(InstalledBackendTest, JobRunsToCompletedThroughTheModule) {
    json started = server_->ok("claude_start",
                               {{"prompt", "say hello from gentle"}, {"workFolder", work_.path()}});
    EXPECT_EQ(started["backend"], "gentle");
    json view = server_->wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);
    EXPECT_EQ(view["result"]["text"], "hello from gentle") << view.dump(2);
}

// Field 19 of /proc/<pid>/stat.
long niceness_of(long pid) {
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return -100;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
    }
    return std::stol(field);
}

TEST_F(InstalledBackendTest, JobRunsNicelyAndCancelEndsIt) {
    json started =
        server_->ok("claude_start", {{"prompt", "sleep 30"}, {"workFolder", work_.path()}});
    std::string id = started["jobId"];
    ASSERT_TRUE(wait_until([&] {
        return server_->ok("claude_check", {{"jobId", id}})["status"] == "running" &&
               std::filesystem::exists(state_.path() + "/jobs/" + id + "/runner.json");
    }));
    json runner = json::parse(read_text(state_.path() + "/jobs/" + id + "/runner.json"));
    errno = 0;
    int own = ::getpriority(PRIO_PROCESS, 0);
    long expected = std::max(10, errno == 0 ? own : 0);
    EXPECT_EQ(niceness_of(runner["childPid"].get<long>()), expected) << "claude runs at niceness 10";
    json view = server_->ok("claude_cancel", {{"jobId", id}, {"graceSec", 2}});
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
}

}  // namespace
}  // namespace cj::testing

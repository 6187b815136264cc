// The server's own life around its jobs: refused plugin modules beside working ones, the
// retention sweep, and the selftest.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "harness.h"

namespace cj::testing {
namespace {

TEST(LifecycleTest, RefusedModulesAreListedAndTheRestKeepsServing) {
    TempDir state("cj-mods"), work("cj-work");
    json config = default_config(state.path());
    config["pluginDirs"] = {TEST_PLUGIN_DIR};
    config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                          {"future", {{"plugin", "abi-major2"}}}};
    Server server(state.path(), config);
    server.initialize();
    json report = server.ok("claude_backends", json::object());
    bool saw_major = false, saw_not_library = false, saw_no_entry = false;
    for (const auto& m : report["modules"]) {
        std::string path = m["path"];
        std::string error = m.value("error", "");
        if (path.find("abi_major2") != std::string::npos) {
            saw_major = true;
            EXPECT_FALSE(m["loaded"].get<bool>());
            EXPECT_NE(error.find("2.0"), std::string::npos) << error;
            EXPECT_NE(error.find("1.0"), std::string::npos) << error;
        }
        if (path.find("not_a_library") != std::string::npos) {
            saw_not_library = true;
            EXPECT_FALSE(m["loaded"].get<bool>());
        }
        if (path.find("no_entry") != std::string::npos) {
            saw_no_entry = true;
            EXPECT_NE(error.find("claude_jobs_plugin_info"), std::string::npos) << error;
        }
    }
    EXPECT_TRUE(saw_major && saw_not_library && saw_no_entry) << report.dump(2);
    json future;
    for (const auto& b : report["backends"])
        if (b["name"] == "future") future = b;
    ASSERT_FALSE(future.is_null());
    EXPECT_FALSE(future["available"].get<bool>());
    json refused = server.call("claude_start", {{"prompt", "say x"}, {"backend", "future"}, {"workFolder", work.path()}});
    EXPECT_EQ(refused["structuredContent"]["error"]["code"], "unavailable");
    json view = server.wait_done(server.ok("claude_start", {{"prompt", "say still here"}, {"workFolder", work.path()}})["jobId"]);
    EXPECT_EQ(view["status"], "completed");
}

TEST(LifecycleTest, RetentionSweepRemovesOldEndedJobs) {
    TempDir state("cj-retain"), work("cj-work");
    json config = default_config(state.path());
    config["retentionDays"] = 1;
    std::string old_id, fresh_id;
    {
        Server server(state.path(), config);
        server.initialize();
        old_id = server.ok("claude_start", {{"prompt", "say old"}, {"workFolder", work.path()}})["jobId"];
        fresh_id = server.ok("claude_start", {{"prompt", "say fresh"}, {"workFolder", work.path()}})["jobId"];
        server.wait_done(old_id);
        server.wait_done(fresh_id);
    }
    // Age one job by two days.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((state.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
    std::string sql = "UPDATE jobs SET ended_at = ended_at - 172800000 WHERE id = '" + old_id + "'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    Server again(state.path(), config);
    again.initialize();
    ASSERT_TRUE(wait_until([&] { return !std::filesystem::exists(state.path() + "/jobs/" + old_id); }));
    // The sweep removes the folder, then the row: poll for the row to go too.
    json gone;
    EXPECT_TRUE(wait_until([&] {
        gone = again.call("claude_check", {{"jobId", old_id}});
        return gone["structuredContent"]["error"]["code"] == "not_found";
    })) << gone.dump();
    EXPECT_EQ(again.ok("claude_check", {{"jobId", fresh_id}})["status"], "completed");
}

TEST(LifecycleTest, SelftestPasses) {
    std::string cmd = bin_path("claude-jobs") + " --selftest 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    int status = ::pclose(p);
    EXPECT_EQ(WEXITSTATUS(status), 0) << out;
    EXPECT_NE(out.find("selftest passed"), std::string::npos) << out;
    EXPECT_NE(out.find("cancel ends it"), std::string::npos) << out;
}

}  // namespace
}  // namespace cj::testing

// The server's own life around its jobs: refused plugin modules beside working ones, the
// retention sweep, and the selftest.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "claude_jobs/plugin.h"

#include "harness.h"

namespace cj::testing {
namespace {

TEST(LifecycleTest, RefusedModulesAreListedAndTheRestKeepsServing) {
    TempDir state("cj-mods"), work("cj-work");
    json config = default_config(state.path());
    config["pluginDirs"] = {TEST_PLUGIN_DIR, state.path() + "/no-such-folder"};
    config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                          {"future", {{"plugin", "abi-major2"}}}};
    Server server(state.path(), config);
    server.initialize();
    json report = server.ok("claude_backends", json::object());
    std::string host_abi = std::to_string(CLAUDE_JOBS_ABI_MAJOR) + "." +
                           std::to_string(CLAUDE_JOBS_ABI_MINOR);
    std::string newer_abi = std::to_string(CLAUDE_JOBS_ABI_MAJOR) + "." +
                            std::to_string(CLAUDE_JOBS_ABI_MINOR + 1);
    std::set<std::string> seen;
    for (const auto& m : report["modules"]) {
        std::string path = m["path"];
        std::string file = std::filesystem::path(path).filename().string();
        std::string error = m.value("error", "");
        seen.insert(file);
        EXPECT_EQ(m.value("hostAbi", ""), host_abi) << m.dump();
        if (file == "good_test_backend.so" || file == "local-detached.so") {
            EXPECT_TRUE(m["loaded"].get<bool>()) << m.dump();
            EXPECT_EQ(m.value("abi", ""), host_abi) << m.dump();
            continue;
        }
        if (!m["loaded"].get<bool>()) {
            EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << "the reason names the file: " << error;
        }
        // Each broken module of the test folder is refused, saying what is wrong with it.
        if (file == "abi_major2.so") {
            EXPECT_FALSE(m["loaded"].get<bool>());
            EXPECT_EQ(m.value("abi", ""), "2.0") << m.dump();
            EXPECT_NE(error.find("built for plugin ABI 2.0, this claude-jobs speaks " + host_abi),
                      std::string::npos) << error;
        } else if (file == "abi_newer_minor.so") {
            EXPECT_FALSE(m["loaded"].get<bool>());
            EXPECT_EQ(m.value("abi", ""), newer_abi) << m.dump();
            EXPECT_NE(error.find("built for plugin ABI " + newer_abi + ", newer than the " + host_abi),
                      std::string::npos) << error;
        } else if (file == "no_entry.so") {
            EXPECT_FALSE(m["loaded"].get<bool>());
            EXPECT_FALSE(m.contains("abi")) << m.dump();
            EXPECT_NE(error.find("no claude_jobs_plugin_info"), std::string::npos) << error;
        } else if (file == "no_factory.so") {
            EXPECT_NE(error.find("no claude_jobs_create_backend"), std::string::npos) << error;
        } else if (file == "wrong_stdlib.so") {
            EXPECT_EQ(m.value("toolchain", ""), "itanium/libc++-elsewhere") << m.dump();
            EXPECT_NE(error.find("libc++-elsewhere"), std::string::npos) << error;
            EXPECT_NE(error.find(m.value("hostToolchain", "?").substr(8)), std::string::npos)
                << error;
        } else if (file == "short_info.so") {
            EXPECT_NE(error.find("too short"), std::string::npos) << error;
        } else if (file == "not_a_library.so") {
            EXPECT_NE(error.find("not a loadable shared library"), std::string::npos) << error;
        }
    }
    for (const char* file : {"abi_major2.so", "abi_newer_minor.so", "no_entry.so", "no_factory.so",
                             "wrong_stdlib.so", "short_info.so", "not_a_library.so",
                             "good_test_backend.so", "local-detached.so"})
        EXPECT_TRUE(seen.count(file)) << file << " missing from " << report["modules"].dump(2);
    // Every folder searched is listed, found or not.
    ASSERT_GE(report["pluginDirs"].size(), 3u) << report["pluginDirs"].dump(2);
    EXPECT_EQ(report["pluginDirs"][0]["path"], TEST_PLUGIN_DIR);
    EXPECT_TRUE(report["pluginDirs"][0]["found"].get<bool>());
    EXPECT_GE(report["pluginDirs"][0]["modules"].get<int>(), 8) << report["pluginDirs"].dump(2);
    EXPECT_FALSE(report["pluginDirs"][1]["found"].get<bool>());
    EXPECT_TRUE(report["pluginDirs"][1].contains("error"));
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
    std::string cmd = bin_path("claude-jobs") + " --selftest --plumbing-only 2>&1";
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

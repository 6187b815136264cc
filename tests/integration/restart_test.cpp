// What survives what: the server killed with SIGKILL and restarted, a supervisor killed,
// a recycled pid, and two servers sharing one state dir under load.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness.h"

namespace cj::testing {
namespace {

TEST(RestartTest, ServerKilledWhileJobsRunThenRestarted) {
    TempDir state("cj-restart"), work("cj-work");
    json config = default_config(state.path());
    std::string ok_id, fail_id, long_id;
    {
        Server server(state.path(), config);
        server.initialize();
        ok_id = server.ok("claude_start", {{"prompt", "sleep 1\nsay survived"}, {"workFolder", work.path()}})["jobId"];
        fail_id = server.ok("claude_start", {{"prompt", "sleep 1\nexit 4"}, {"workFolder", work.path()}})["jobId"];
        long_id = server.ok("claude_start", {{"prompt", "sleep 60"}, {"workFolder", work.path()}})["jobId"];
        runner_info(state.path(), long_id);
        server.kill_hard();
    }
    Server again(state.path(), config);
    again.initialize();
    json ok = again.wait_done(ok_id);
    EXPECT_EQ(ok["status"], "completed");
    EXPECT_EQ(ok["result"]["text"], "survived");
    json failed = again.wait_done(fail_id);
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_EQ(failed["exitCode"], 4);
    json still = again.ok("claude_check", {{"jobId", long_id}});
    EXPECT_EQ(still["status"], "running") << "a live job is tracked again after the restart";
    json cancelled = again.ok("claude_cancel", {{"jobId", long_id}, {"graceSec", 1}});
    EXPECT_EQ(cancelled["status"], "cancelled");
}

TEST(RestartTest, SupervisorKilledBecomesOrphaned) {
    TempDir state("cj-orphan"), work("cj-work");
    Server server(state.path(), default_config(state.path()));
    server.initialize();
    std::string id = server.ok("claude_start", {{"prompt", "sleep 60"}, {"workFolder", work.path()}})["jobId"];
    json info = runner_info(state.path(), id);
    pid_t child = info["childPid"];
    ::kill(info["runnerPid"].get<pid_t>(), SIGKILL);
    json view = server.wait_done(id);
    EXPECT_EQ(view["status"], "orphaned");
    EXPECT_NE(view["reason"].get<std::string>().find("vanished"), std::string::npos) << view["reason"];
    EXPECT_TRUE(wait_until([&] { return !process_alive(child); }))
        << "the orphan's claude was left running";
}

// Rewrites a job's stored handle so its runner pid names another live process.
void point_handle_at(const std::string& dbPath, const std::string& id, pid_t pid) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dbPath.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT handle FROM jobs WHERE id = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    json handle = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    json state = json::parse(handle["backendState"].get<std::string>());
    state["runnerPid"] = pid;  // same start time as recorded: a different process now
    handle["backendState"] = state.dump();
    sqlite3_prepare_v2(db, "UPDATE jobs SET handle = ? WHERE id = ?", -1, &st, nullptr);
    std::string text = handle.dump();
    sqlite3_bind_text(st, 1, text.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(RestartTest, RecycledPidIsNotTakenForTheJob) {
    TempDir state("cj-recycle"), work("cj-work");
    json config = default_config(state.path());
    std::string id;
    json info;
    {
        Server server(state.path(), config);
        server.initialize();
        id = server.ok("claude_start", {{"prompt", "sleep 60"}, {"workFolder", work.path()}})["jobId"];
        info = runner_info(state.path(), id);
        server.kill_hard();
    }
    // The supervisor dies without a record, and its pid now belongs to someone else: us.
    ::kill(-info["childPgid"].get<pid_t>(), SIGKILL);
    ::kill(info["runnerPid"].get<pid_t>(), SIGKILL);
    ASSERT_TRUE(wait_until([&] { return !process_alive(info["runnerPid"].get<pid_t>()); }));
    point_handle_at(state.path() + "/jobs.db", id, ::getpid());
    Server again(state.path(), config);
    again.initialize();
    json view = again.wait_done(id);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    EXPECT_TRUE(process_alive(::getpid()));
}

TEST(RestartTest, TwoServersShareOneStateDir) {
    TempDir state("cj-shared"), work("cj-work");
    json config = default_config(state.path());
    config["maxConcurrentJobs"] = 3;
    Server a(state.path(), config), b(state.path(), config);
    a.initialize();
    b.initialize();
    constexpr int kJobs = 100;
    // Pipeline 50 starts into each server at once.
    for (int i = 0; i < kJobs; ++i) {
        Server& s = i % 2 ? b : a;
        s.send({{"jsonrpc", "2.0"}, {"id", 1000 + i}, {"method", "tools/call"},
                {"params", {{"name", "claude_start"},
                            {"arguments", {{"prompt", "sleep 0.05\nsay job " + std::to_string(i)},
                                           {"workFolder", work.path()},
                                           {"idempotencyKey", "k" + std::to_string(i)}}}}}});
    }
    std::vector<std::string> ids;
    for (int i = 0; i < kJobs; ++i) {
        Server& s = i % 2 ? b : a;
        auto r = s.response_for(1000 + i, std::chrono::seconds(60));
        ASSERT_TRUE(r) << "start " << i << " unanswered";
        ASSERT_FALSE((*r)["result"].value("isError", false)) << r->dump();
        ids.push_back((*r)["result"]["structuredContent"]["jobId"]);
    }
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), static_cast<std::size_t>(kJobs)) << "a start was duplicated";
    for (int round = 0; round < 2; ++round) {
        json all = a.ok("claude_wait", {{"jobIds", std::vector<std::string>(ids.begin() + round * 50, ids.begin() + round * 50 + 50)},
                                        {"mode", "all"}, {"timeoutSec", 50}});
        ASSERT_FALSE(all["timedOut"].get<bool>()) << all["pending"].dump();
        for (const auto& v : all["done"]) EXPECT_EQ(v["status"], "completed") << v.dump();
    }
    json list = b.ok("claude_jobs", {{"limit", 1000}});
    EXPECT_EQ(list["jobs"].size(), static_cast<std::size_t>(kJobs));
    EXPECT_EQ(list["counts"]["completed"], kJobs);
    // The cap held: at no moment did more than 3 supervised children run.
    std::vector<std::pair<std::int64_t, int>> edges;
    for (const auto& id : ids) {
        std::string dir = state.path() + "/jobs/" + id;
        json run = json::parse(read_text(dir + "/runner.json"));
        json exit = json::parse(read_text(dir + "/exit.json"));
        edges.push_back({run["startedAt"].get<std::int64_t>(), +1});
        edges.push_back({exit["endedAt"].get<std::int64_t>(), -1});
        std::string events = read_text(dir + "/events.jsonl");
        EXPECT_EQ(std::count(events.begin(), events.end(), '\n') > 0, true);
        EXPECT_EQ(events.find("\"subtype\":\"init\""), events.rfind("\"subtype\":\"init\""))
            << "job " << id << " ran twice";
    }
    std::sort(edges.begin(), edges.end(), [](auto& x, auto& y) {
        return x.first != y.first ? x.first < y.first : x.second < y.second;  // ends first
    });
    int running = 0, peak = 0;
    for (auto& [t, d] : edges) peak = std::max(peak, running += d);
    EXPECT_LE(peak, 3);
    EXPECT_GE(peak, 2) << "jobs ran in parallel at all";
}

TEST(RestartTest, QueuedJobRunsWithTheAcceptingServersEnvironment) {
    TempDir state("cj-plan"), work("cj-work");
    json config = default_config(state.path());
    config["maxConcurrentJobs"] = 1;
    std::string running, queued;
    std::string env_file = work.file("env.txt");
    {
        Server a(state.path(), config, {"MARK=accepted-by-a"});
        a.initialize();
        running = a.ok("claude_start", {{"prompt", "sleep 1"}, {"workFolder", work.path()}})["jobId"];
        json q = a.ok("claude_start", {{"prompt", "env " + env_file}, {"workFolder", work.path()}});
        ASSERT_EQ(q["status"], "queued");
        queued = q["jobId"];
        a.kill_hard();  // only the other server is left to launch it
    }
    Server b(state.path(), config, {"MARK=server-b", "CLAUDE_JOBS_DEPTH=1"});
    b.initialize();
    json view = b.wait_done(queued);
    ASSERT_EQ(view["status"], "completed") << view.dump(2);
    std::string env = read_text(env_file);
    EXPECT_NE(env.find("MARK=accepted-by-a"), std::string::npos) << env;
    EXPECT_EQ(env.find("MARK=server-b"), std::string::npos) << env;
    EXPECT_NE(env.find("CLAUDE_JOBS_DEPTH=1\n"), std::string::npos) << "depth is the accepting server's + 1";
}

TEST(RestartTest, QueueDrainsFirstInFirstOut) {
    TempDir state("cj-fifo"), work("cj-work");
    json config = default_config(state.path());
    config["maxConcurrentJobs"] = 1;
    Server server(state.path(), config);
    server.initialize();
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i)
        ids.push_back(server.ok("claude_start", {{"prompt", "say " + std::to_string(i)}, {"workFolder", work.path()}})["jobId"]);
    json all = server.ok("claude_wait", {{"jobIds", ids}, {"mode", "all"}, {"timeoutSec", 50}});
    ASSERT_FALSE(all["timedOut"].get<bool>());
    std::int64_t last = 0;
    for (const auto& id : ids) {
        json run = json::parse(read_text(state.path() + "/jobs/" + id + "/runner.json"));
        std::int64_t started = run["startedAt"];
        EXPECT_GE(started, last) << "job " << id << " started out of order";
        last = started;
    }
}

}  // namespace
}  // namespace cj::testing

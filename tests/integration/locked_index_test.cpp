// A job index held by another process: while something else keeps jobs.db's write lock, every
// call keeps its deadline — a wait returns the jobs that ended (their ends recorded later),
// checks and lists answer at once, a start is refused within its bound saying why — and once
// the lock is gone, every end is in the index. Before the index had a writer of its own, each
// end waited the 10 s busy timeout in turn: a 5 s claude_wait took over two minutes.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <memory>

#include "harness.h"

namespace cj::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Holds jobs.db's write lock from this (test) process, as another program might.
class WriteLockHolder {
  public:
    explicit WriteLockHolder(const std::string& path) {
        EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
        sqlite3_busy_timeout(db_, 10000);
        char* err = nullptr;
        EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, &err), SQLITE_OK)
            << (err ? err : "");
        sqlite3_free(err);
    }
    ~WriteLockHolder() { release(); }
    void release() {
        if (!db_) return;
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
        db_ = nullptr;
    }

  private:
    sqlite3* db_ = nullptr;
};

std::string state_in_index(const std::string& dbPath, const std::string& id) {
    sqlite3* db = nullptr;
    sqlite3_open(dbPath.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT state FROM jobs WHERE id = ?", -1, &s, nullptr);
    sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    std::string state;
    if (sqlite3_step(s) == SQLITE_ROW)
        state = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return state;
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST(LockedIndexTest, EveryCallKeepsItsDeadlineAndNoEndIsLost) {
    TempDir state("cj-state"), work("cj-work");
    json config = default_config(state.path());
    config["maxConcurrentJobs"] = 8;
    Server server(state.path(), config);
    server.initialize();
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i)
        ids.push_back(
            server.ok("claude_start", {{"prompt", "sleep 1\nsay done " + std::to_string(i)},
                                       {"workFolder", work.path()}})["jobId"]);
    std::string dbPath = state.path() + "/jobs.db";
    auto lock = std::make_unique<WriteLockHolder>(dbPath);

    // The jobs end while the index is held; a 5 s wait for all of them returns them ended.
    auto t0 = Clock::now();
    json waited = server.ok("claude_wait", {{"jobIds", ids}, {"mode", "all"}, {"timeoutSec", 5}});
    EXPECT_LT(seconds_since(t0), 8.0) << "claude_wait kept its 5 s bound";
    ASSERT_EQ(waited["done"].size(), ids.size()) << waited.dump(2);
    for (const auto& v : waited["done"]) {
        EXPECT_EQ(v["status"], "completed") << v.dump(2);
        EXPECT_NE(v.value("message", "").find("not yet written"), std::string::npos) << v.dump(2);
    }

    t0 = Clock::now();
    json checked = server.ok("claude_check", {{"jobId", ids[0]}});
    EXPECT_LT(seconds_since(t0), 2.0);
    EXPECT_EQ(checked["status"], "completed");
    t0 = Clock::now();
    json listed = server.ok("claude_jobs", json::object());
    EXPECT_LT(seconds_since(t0), 2.0);
    EXPECT_EQ(listed["jobs"].size(), ids.size());

    // A start cannot be made durable: it is refused within its bound, saying why.
    t0 = Clock::now();
    json refused = server.call("claude_start", {{"prompt", "say x"}, {"workFolder", work.path()}});
    EXPECT_LT(seconds_since(t0), 15.0);
    EXPECT_TRUE(refused["isError"].get<bool>()) << refused.dump(2);
    EXPECT_EQ(refused["structuredContent"]["error"]["code"], "unavailable");
    EXPECT_NE(refused["structuredContent"]["error"]["message"].get<std::string>().find(
                  "another process holds its write lock"),
              std::string::npos)
        << refused.dump(2);
    EXPECT_TRUE(refused["structuredContent"]["error"]["retryable"].get<bool>());
    for (const auto& id : ids) EXPECT_EQ(state_in_index(dbPath, id), "running") << "still held";

    // Once the lock is gone, the ends are written without anyone asking again.
    lock->release();
    for (const auto& id : ids)
        EXPECT_TRUE(wait_until([&] { return state_in_index(dbPath, id) == "completed"; },
                               std::chrono::seconds(10)))
            << id;
    json after = server.ok("claude_check", {{"jobId", ids[0]}});
    EXPECT_FALSE(after.contains("message")) << after.dump(2);
    EXPECT_EQ(
        server.ok("claude_start", {{"prompt", "say again"}, {"workFolder", work.path()}})["status"],
        "running");
}

}  // namespace
}  // namespace cj::testing

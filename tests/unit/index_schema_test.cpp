// Tests of the job index's schema migrations: an index written by the first release is
// brought up to date with its rows kept; one written by a newer version is refused with a
// message that says what to do.
#include "core/jobs/index_schema.h"

#include <sqlite3.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/jobs/job_index.h"
#include "support/temp_dir.h"

namespace {

using cj::jobs::JobIndex;

void run(sqlite3* db, const char* sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
}

// The tables of the first release (schema version 1), with one finished job in them.
void write_version_one(const std::string& path) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    run(db, R"sql(
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    backend TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', prompt_preview TEXT NOT NULL DEFAULT '',
    work_folder TEXT NOT NULL, spec TEXT NOT NULL, idempotency_key TEXT UNIQUE,
    created_at INTEGER NOT NULL, claimed_at INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL DEFAULT 0, ended_at INTEGER NOT NULL DEFAULT 0, exit_code INTEGER,
    reason TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '', handle TEXT NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0, cancel_grace INTEGER NOT NULL DEFAULT 10);
CREATE TABLE launches (id TEXT PRIMARY KEY, prompt TEXT NOT NULL, plan TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE held (id TEXT PRIMARY KEY);
INSERT INTO meta VALUES('schema_version', '1');
INSERT INTO jobs(id, state, backend, work_folder, spec, created_at, ended_at, reason)
  VALUES('old1', 'completed', 'local', '/tmp', '{}', 1000, 2000, 'completed: exit code 0');
)sql");
    sqlite3_close(db);
}

TEST(IndexSchemaTest, AnIndexOfTheFirstReleaseIsMigratedWithItsRows) {
    cj::testing::TempDir dir;
    std::string path = dir.path() + "/jobs.db";
    write_version_one(path);
    auto opened = JobIndex::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto row = (*opened)->get("old1");
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->reason, "completed: exit code 0");
    EXPECT_EQ((*row)->owner.instance, "");  // jobs from before owners were recorded
    // The new tables work on the migrated index.
    cj::jobs::JobRecord r;
    r.id = "new1";
    r.backend = "local";
    r.workFolder = "/tmp";
    r.spec = "{}";
    r.createdAt = 3000;
    r.owner.session = "s";
    ASSERT_TRUE((*opened)->insert(r, 4).ok());
    auto log = (*opened)->transitions_after(0, 10);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), 1u);
    EXPECT_EQ((*log)[0].jobId, "new1");
    // Opening again migrates nothing twice.
    opened->reset();
    auto again = JobIndex::open(path);
    ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST(IndexSchemaTest, AnIndexOfANewerVersionIsRefusedWithWhatToDo) {
    cj::testing::TempDir dir;
    std::string path = dir.path() + "/jobs.db";
    { ASSERT_TRUE(JobIndex::open(path).ok()); }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    run(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    sqlite3_close(db);
    auto opened = JobIndex::open(path);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("newer claude-jobs"), std::string::npos)
        << opened.error().message;
    EXPECT_NE(opened.error().message.find("update claude-jobs"), std::string::npos);
}

}  // namespace

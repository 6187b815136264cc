// The SQLite plumbing under the job index: statements prepared once per connection and
// reused, write transactions that take the write lock up front (BEGIN IMMEDIATE), and errors
// that say what to do (busy: another process holds the index; full: free some disk).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "claude_jobs/result.h"

namespace cj::jobs::sqlite {

// "job index: <what>: <sqlite's message>", Unavailable and retryable when busy or full.
claude_jobs::Error db_error(sqlite3* db, const std::string& what);

// Runs SQL text that returns no rows (schema, pragmas).
claude_jobs::Result<void> exec(sqlite3* db, const char* sql);

// Runs a statement that returns no rows (BEGIN, COMMIT, SAVEPOINT, a PRAGMA) prepared once
// and reused, as a write transaction runs several of them each time: SQLITE_OK or the error
// code (the connection's message says more).
int run(sqlite3* db, const char* sql);

// Finalizes every statement kept for a connection about to be closed.
void forget_statements(sqlite3* db);

// Keeps the WAL file when the connection that closes last is this one (it is not deleted):
// its blocks stay allocated, so later commits overwrite them (see grow_wal).
void keep_wal(sqlite3* db);

// Makes the connection's WAL file at least as long as autocheckpoint pages (plus slack) need,
// with zeros past its end, synced once. A commit that writes over blocks the file already has
// is synced without a journal commit of the file system (a growing file's is one): on ext4
// about 0.1-0.2 ms instead of 0.25-0.35 ms per synchronous commit. SQLite reads past the last
// valid frame as the end of the log, so zeros there are as good as the old frames a reset
// leaves. Must be called with the write lock held (inside BEGIN IMMEDIATE), so no other
// writer appends meanwhile. Skipped when the disk has less than ten times that free.
claude_jobs::Result<void> grow_wal(sqlite3* db);

// One prepared statement, taken from the cache (or prepared) and given back on scope exit.
class Statement {
  public:
    Statement(sqlite3* db, const char* sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool ok() const { return rc_ == SQLITE_OK; }
    Statement& bind(int i, const std::string& v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Statement& bind_double(int i, double v) {
        sqlite3_bind_double(stmt_, i, v);
        return *this;
    }
    Statement& bind_null(int i) {
        sqlite3_bind_null(stmt_, i);
        return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }
    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::string text(int col) const {
        const unsigned char* p = sqlite3_column_text(stmt_, col);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }

  private:
    sqlite3* db_;
    const char* sql_;
    sqlite3_stmt* stmt_ = nullptr;
    int rc_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. IMMEDIATE takes the write lock
// up front, so two processes cannot both read "3 running" and both start a fourth.
class WriteTransaction {
  public:
    explicit WriteTransaction(sqlite3* db) : db_(db) {
        begun_ = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~WriteTransaction() {
        if (begun_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    bool begun() const { return begun_; }
    claude_jobs::Result<void> commit();

  private:
    sqlite3* db_;
    bool begun_ = false;
    bool done_ = false;
};

}  // namespace cj::jobs::sqlite

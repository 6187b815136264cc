#include "core/jobs/sqlite_db.h"

#include <map>
#include <mutex>

namespace cj::jobs::sqlite {

using claude_jobs::Error;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

// Prepared statements kept per connection and reused: preparing costs more than running
// most of these queries. A statement in use is never handed out twice.
class StatementCache {
  public:
    static StatementCache& instance() {
        static StatementCache* cache = new StatementCache();  // outlives every JobIndex
        return *cache;
    }
    sqlite3_stmt* take(sqlite3* db, const char* sql) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& slot = entries_[db][sql];
        if (slot.stmt && !slot.inUse) {
            slot.inUse = true;
            return slot.stmt;
        }
        return nullptr;
    }
    // Keeps stmt for reuse if the slot is free; false when the caller must finalize it.
    bool give(sqlite3* db, const char* sql, sqlite3_stmt* stmt) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& slot = entries_[db][sql];
        if (slot.stmt == stmt) {
            slot.inUse = false;
            return true;
        }
        if (!slot.stmt) {
            slot.stmt = stmt;
            slot.inUse = false;
            return true;
        }
        return false;
    }
    void forget(sqlite3* db) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [sql, slot] : entries_[db]) sqlite3_finalize(slot.stmt);
        entries_.erase(db);
    }

  private:
    struct Slot {
        sqlite3_stmt* stmt = nullptr;
        bool inUse = false;
    };
    std::mutex mutex_;
    std::map<sqlite3*, std::map<std::string, Slot>> entries_;
};

}  // namespace

Error db_error(sqlite3* db, const std::string& what) {
    int code = sqlite3_errcode(db);
    bool busy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
    bool full = code == SQLITE_FULL;
    std::string message = "job index: " + what + ": " + sqlite3_errmsg(db);
    if (busy) message += " (another claude-jobs process holds it; try again)";
    if (full) message += " (the disk is full; free some space)";
    return make_error(busy || full ? ErrorCode::Unavailable : ErrorCode::Internal, message, 0,
                      busy || full);
}

Result<void> exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string message = err ? err : "unknown error";
        sqlite3_free(err);
        return db_error(db, message);
    }
    return {};
}

void forget_statements(sqlite3* db) {
    StatementCache::instance().forget(db);
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db), sql_(sql) {
    stmt_ = StatementCache::instance().take(db, sql);
    rc_ = stmt_ ? SQLITE_OK
                : sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

Statement::~Statement() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (!StatementCache::instance().give(db_, sql_, stmt_)) sqlite3_finalize(stmt_);
}

Result<void> WriteTransaction::commit() {
    done_ = true;
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        Error e = db_error(db_, "commit");
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    }
    return {};
}

}  // namespace cj::jobs::sqlite

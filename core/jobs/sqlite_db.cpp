#include "core/jobs/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "core/util/fd.h"

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

int run(sqlite3* db, const char* sql) {
    Statement s(db, sql);
    if (!s.ok()) return sqlite3_errcode(db);
    int rc = s.step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
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

void keep_wal(sqlite3* db) {
    int keep = 1;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
}

namespace {

std::int64_t pragma_int(sqlite3* db, const char* sql, std::int64_t fallback) {
    Statement s(db, sql);
    if (!s.ok() || s.step() != SQLITE_ROW) return fallback;
    return s.int64(0);
}

}  // namespace

claude_jobs::Result<void> grow_wal(sqlite3* db) {
    using claude_jobs::ErrorCode;
    using claude_jobs::make_error;
    const char* dbFile = sqlite3_db_filename(db, "main");
    if (!dbFile || !*dbFile) return {};
    const std::string wal = sqlite3_filename_wal(dbFile);
    // A checkpoint runs once the log has this many pages; a batch can go a little past it.
    std::int64_t pages = pragma_int(db, "PRAGMA wal_autocheckpoint", 1000);
    std::int64_t pageSize = pragma_int(db, "PRAGMA page_size", 4096);
    if (pages <= 0) return {};
    const std::int64_t want = 32 + (pages + pages / 8) * (pageSize + 24);
    util::Fd file(::open(wal.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    const int fd = file.get();
    if (fd < 0) return make_error(ErrorCode::Unavailable, wal + ": " + std::strerror(errno));
    struct stat st {};
    struct statvfs vfs {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(ErrorCode::Unavailable, wal + ": not a regular file");
    if (st.st_size >= want) return {};
    if (::fstatvfs(fd, &vfs) != 0 ||
        static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize) <
            10 * want)
        return {};
    const std::vector<char> zeros(256 * 1024, 0);
    for (std::int64_t at = st.st_size; at < want;) {
        auto n = static_cast<std::size_t>(
            std::min<std::int64_t>(static_cast<std::int64_t>(zeros.size()), want - at));
        ssize_t wrote = ::pwrite(fd, zeros.data(), n, at);
        if (wrote <= 0) {
            if (wrote < 0 && errno == EINTR) continue;
            return make_error(ErrorCode::Unavailable, wal + ": " + std::strerror(errno));
        }
        at += wrote;
    }
    if (::fdatasync(fd) != 0)
        return make_error(ErrorCode::Unavailable, wal + ": " + std::strerror(errno));
    return {};
}

}  // namespace cj::jobs::sqlite

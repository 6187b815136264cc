#include "core/jobs/wake_marks.h"

#include "core/jobs/sqlite_db.h"
#include "core/util/clock.h"

namespace cj::jobs {

using claude_jobs::Result;
using sqlite::db_error;
using sqlite::Statement;

namespace {

constexpr const char* kCollected = "collected";

std::string told_mark(WakePath path) {
    return std::string("told:") + wake_path_name(path);
}

Result<void> insert_mark(sqlite3* db, const std::string& jobId, const std::string& mark) {
    Statement s(db, "INSERT OR IGNORE INTO wake_marks(job_id, mark, at) VALUES(?,?,?)");
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, jobId).bind(2, mark).bind(3, util::now_ms());
    if (s.step() != SQLITE_DONE) return db_error(db, "mark job " + jobId);
    return {};
}

Result<bool> has_mark(sqlite3* db, const std::string& jobId, const std::string& mark) {
    Statement s(db, "SELECT 1 FROM wake_marks WHERE job_id = ? AND mark = ?");
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, jobId).bind(2, mark);
    int rc = s.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, "read the marks of " + jobId);
    return rc == SQLITE_ROW;
}

}  // namespace

const char* wake_path_name(WakePath path) {
    return path == WakePath::Channel ? "channel" : "hook";
}

bool same_owner(const JobOwner& reader, const JobOwner& owner) {
    if (!reader.instance.empty() && reader.instance == owner.instance) return true;
    return !reader.session.empty() && reader.session == owner.session;
}

void WakeMarks::collected(const std::string& jobId) {
    index_.write_soon([jobId](sqlite3* db) { return insert_mark(db, jobId, kCollected); });
}

Result<bool> WakeMarks::is_collected(const std::string& jobId) {
    bool found = false;
    auto r = index_.read_with([&](sqlite3* db) -> Result<void> {
        auto has = has_mark(db, jobId, kCollected);
        if (!has) return has.error();
        found = *has;
        return {};
    });
    if (!r) return r.error();
    return found;
}

Result<bool> WakeMarks::claim(const std::string& jobId, WakePath path) {
    bool claimed = false;
    auto r =
        index_.write_with([&claimed, jobId, mark = told_mark(path)](sqlite3* db) -> Result<void> {
            auto collected = has_mark(db, jobId, kCollected);
            if (!collected) return collected.error();
            if (*collected) return {};
            if (auto inserted = insert_mark(db, jobId, mark); !inserted) return inserted;
            claimed = sqlite3_changes(db) == 1;
            return {};
        });
    if (!r) return r.error();
    return claimed;
}

Result<std::vector<std::string>> WakeMarks::untold(const std::string& session, WakePath path,
                                                   int limit) {
    std::vector<std::string> ids;
    auto r = index_.read_with([&](sqlite3* db) -> Result<void> {
        Statement s(db,
                    "SELECT id FROM jobs j WHERE owner_session = ? AND state NOT IN "
                    "('queued', 'running') AND NOT EXISTS (SELECT 1 FROM wake_marks m WHERE "
                    "m.job_id = j.id AND m.mark IN ('collected', ?)) ORDER BY ended_at, seq "
                    "LIMIT ?");
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, session).bind(2, told_mark(path)).bind(3, static_cast<std::int64_t>(limit));
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) ids.push_back(s.text(0));
        if (rc != SQLITE_DONE) return db_error(db, "find the untold ends of a session");
        return {};
    });
    if (!r) return r.error();
    return ids;
}

}  // namespace cj::jobs

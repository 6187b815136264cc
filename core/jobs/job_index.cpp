#include "core/jobs/job_index.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "core/jobs/index_schema.h"
#include "core/jobs/sqlite_db.h"
#include "core/util/clock.h"

namespace cj::jobs {

using claude_jobs::Error;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using sqlite::db_error;
using sqlite::exec;
using sqlite::Statement;
using sqlite::WriteTransaction;

namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr const char* kColumns =
    "seq, id, state, backend, label, prompt_preview, work_folder, spec, "
    "COALESCE(idempotency_key, ''), created_at, claimed_at, started_at, ended_at, exit_code, "
    "reason, result, session_id, handle, cancel_requested, cancel_grace, owner_instance, "
    "owner_client, owner_session, owner_project";

JobRecord read_row(const Statement& s) {
    JobRecord r;
    r.seq = s.int64(0);
    r.id = s.text(1);
    r.state = parse_state(s.text(2)).value_or(JobState::Failed);
    r.backend = s.text(3);
    r.label = s.text(4);
    r.promptPreview = s.text(5);
    r.workFolder = s.text(6);
    r.spec = s.text(7);
    r.idempotencyKey = s.text(8);
    r.createdAt = s.int64(9);
    r.claimedAt = s.int64(10);
    r.startedAt = s.int64(11);
    r.endedAt = s.int64(12);
    if (!s.is_null(13)) r.exitCode = static_cast<int>(s.int64(13));
    r.reason = s.text(14);
    r.result = s.text(15);
    r.sessionId = s.text(16);
    r.handle = s.text(17);
    r.cancelRequested = s.int64(18) != 0;
    r.cancelGraceSec = static_cast<int>(s.int64(19));
    r.owner.instance = s.text(20);
    r.owner.client = s.text(21);
    r.owner.session = s.text(22);
    r.owner.project = s.text(23);
    return r;
}

Result<std::optional<JobRecord>> query_one(sqlite3* db, const std::string& where,
                                           const std::string& arg) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE " + where;
    Statement s(db, sql.c_str());
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, arg);
    int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<JobRecord>(read_row(s));
    if (rc == SQLITE_DONE) return std::optional<JobRecord>();
    return db_error(db, "read job");
}

// Appends to the transitions log, inside the caller's transaction.
Result<void> log_transition(sqlite3* db, const std::string& id, const char* from, JobState to,
                            const std::string& reason, std::int64_t at) {
    Statement s(db,
                "INSERT INTO transitions(job_id, from_state, to_state, reason, at) "
                "VALUES(?,?,?,?,?)");
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, id).bind(2, std::string(from)).bind(3, std::string(state_name(to)));
    s.bind(4, reason).bind(5, at);
    if (s.step() != SQLITE_DONE) return db_error(db, "log the state change of job " + id);
    return {};
}

Result<std::int64_t> count_state(sqlite3* db, JobState state) {
    Statement s(db, "SELECT COUNT(*) FROM jobs WHERE state = ?");
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, std::string(state_name(state)));
    if (s.step() != SQLITE_ROW) return db_error(db, "count jobs");
    return s.int64(0);
}

}  // namespace

// Declared before a method's lock, so the listener runs after the lock is released.
struct JobIndex::NotifyAfter {
    JobIndex* index;
    bool fire = false;
    ~NotifyAfter() {
        if (fire) index->transitioned();
    }
};

Result<std::unique_ptr<JobIndex>> JobIndex::open(const std::string& path) {
    sqlite3* db = nullptr;
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return make_error(ErrorCode::Unavailable,
                          "cannot open the job index " + path + ": " + message);
    }
    std::unique_ptr<JobIndex> index(new JobIndex(db));
    ::chmod(path.c_str(), 0600);  // WAL and SHM files take the database file's mode
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // Two processes creating the same index at once can get SQLITE_BUSY from the switch to
    // WAL without the busy handler being asked (SQLite's deadlock avoidance): retry, bounded.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
        auto prepared = prepare_schema(db);
        if (prepared) break;
        if (!prepared.error().retryable || std::chrono::steady_clock::now() >= deadline)
            return prepared.error();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return index;
}

JobIndex::~JobIndex() {
    sqlite::forget_statements(db_);
    sqlite3_close_v2(db_);
}

Result<InsertOutcome> JobIndex::insert(JobRecord draft, int maxRunning,
                                       const LaunchInputs& inputs) {
    NotifyAfter notify{this};
    std::lock_guard<std::mutex> lock(mutex_);
    // claude_start answers only once the row is on disk ("durably recorded").
    if (auto r = exec(db_, "PRAGMA synchronous=FULL"); !r) return r.error();
    struct Restore {
        sqlite3* db;
        ~Restore() { sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr); }
    } restore{db_};
    WriteTransaction tx(db_);
    if (!tx.begun()) return db_error(db_, "begin");
    if (!draft.idempotencyKey.empty()) {
        auto existing = query_one(db_, "idempotency_key = ?", draft.idempotencyKey);
        if (!existing) return existing.error();
        if (*existing) return InsertOutcome{std::move(**existing), true};
    }
    auto same_id = query_one(db_, "id = ?", draft.id);
    if (!same_id) return same_id.error();
    if (*same_id)
        return make_error(ErrorCode::AlreadyExists, "a job with id " + draft.id + " exists");

    auto running = count_state(db_, JobState::Running);
    if (!running) return running.error();
    auto queued = count_state(db_, JobState::Queued);
    if (!queued) return queued.error();
    bool slot = *running < maxRunning && *queued == 0;
    draft.state = slot ? JobState::Running : JobState::Queued;
    draft.claimedAt = slot ? draft.createdAt : 0;

    Statement s(db_,
                "INSERT INTO jobs(id, state, backend, label, prompt_preview, work_folder, spec, "
                "idempotency_key, created_at, claimed_at, owner_instance, owner_client, "
                "owner_session, owner_project) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s.ok()) return db_error(db_, "prepare");
    s.bind(1, draft.id)
        .bind(2, std::string(state_name(draft.state)))
        .bind(3, draft.backend)
        .bind(4, draft.label)
        .bind(5, draft.promptPreview)
        .bind(6, draft.workFolder)
        .bind(7, draft.spec);
    if (draft.idempotencyKey.empty())
        s.bind_null(8);
    else
        s.bind(8, draft.idempotencyKey);
    s.bind(9, draft.createdAt).bind(10, draft.claimedAt);
    s.bind(11, draft.owner.instance).bind(12, draft.owner.client);
    s.bind(13, draft.owner.session).bind(14, draft.owner.project);
    if (s.step() != SQLITE_DONE) return db_error(db_, "insert job");
    draft.seq = sqlite3_last_insert_rowid(db_);
    if (auto r = log_transition(db_, draft.id, "", draft.state, "", draft.createdAt); !r)
        return r.error();
    if (!inputs.plan.empty()) {
        Statement l(db_, "INSERT OR REPLACE INTO launches(id, prompt, plan) VALUES(?,?,?)");
        l.bind(1, draft.id).bind(2, inputs.prompt).bind(3, inputs.plan);
        if (l.step() != SQLITE_DONE) return db_error(db_, "insert launch plan");
    }
    if (auto r = tx.commit(); !r) return r.error();
    notify.fire = true;
    return InsertOutcome{std::move(draft), false};
}

Result<std::optional<LaunchInputs>> JobIndex::launch_inputs(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "SELECT prompt, plan FROM launches WHERE id = ?");
    s.bind(1, id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<LaunchInputs>();
    if (rc != SQLITE_ROW) return db_error(db_, "read launch plan");
    return std::optional<LaunchInputs>(LaunchInputs{s.text(0), s.text(1)});
}

Result<void> JobIndex::forget_launch_inputs(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "DELETE FROM launches WHERE id = ?");
    s.bind(1, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "drop launch plan");
    return {};
}

Result<std::optional<JobRecord>> JobIndex::get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return query_one(db_, "id = ?", id);
}

Result<std::optional<JobRecord>> JobIndex::find_by_idempotency_key(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return query_one(db_, "idempotency_key = ?", key);
}

Result<std::optional<JobRecord>> JobIndex::promote_next(
    int maxRunning, const std::function<bool(const std::string&)>& canLaunch) {
    NotifyAfter notify{this};
    std::lock_guard<std::mutex> lock(mutex_);
    WriteTransaction tx(db_);
    if (!tx.begun()) return db_error(db_, "begin");
    auto running = count_state(db_, JobState::Running);
    if (!running) return running.error();
    if (*running >= maxRunning) return std::optional<JobRecord>();
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1";
    JobRecord job;
    {
        Statement s(db_, sql.c_str());
        if (!s.ok()) return db_error(db_, "prepare");
        int rc = s.step();
        if (rc == SQLITE_DONE) return std::optional<JobRecord>();
        if (rc != SQLITE_ROW) return db_error(db_, "read queue");
        job = read_row(s);
    }
    // Strict FIFO: a head this process cannot launch waits for a server that can.
    if (!canLaunch(job.backend)) return std::optional<JobRecord>();
    job.state = JobState::Running;
    job.claimedAt = util::now_ms();
    Statement u(db_, "UPDATE jobs SET state = 'running', claimed_at = ? WHERE id = ?");
    u.bind(1, job.claimedAt).bind(2, job.id);
    if (u.step() != SQLITE_DONE) return db_error(db_, "claim queued job");
    if (auto r = log_transition(db_, job.id, "queued", JobState::Running, "", job.claimedAt); !r)
        return r.error();
    if (auto r = tx.commit(); !r) return r.error();
    notify.fire = true;
    return std::optional<JobRecord>(std::move(job));
}

Result<bool> JobIndex::set_launched(const std::string& id, const std::string& handle,
                                    std::int64_t startedAt) {
    std::lock_guard<std::mutex> lock(mutex_);
    WriteTransaction tx(db_);
    if (!tx.begun()) return db_error(db_, "begin");
    Statement s(db_,
                "UPDATE jobs SET handle = ?, started_at = ? WHERE id = ? AND state = 'running'");
    s.bind(1, handle).bind(2, startedAt).bind(3, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "record launch");
    bool launched = sqlite3_changes(db_) > 0;
    Statement held(db_, "INSERT OR IGNORE INTO held(id) VALUES(?)");
    held.bind(1, id);
    if (held.step() != SQLITE_DONE) return db_error(db_, "record launch");
    if (auto r = tx.commit(); !r) return r.error();
    return launched;
}

Result<std::vector<JobRecord>> JobIndex::held_after_end(const std::vector<std::string>& backends,
                                                        int limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM jobs WHERE state NOT IN ('queued', 'running') AND id IN "
                      "(SELECT id FROM held) AND backend IN (SELECT value FROM json_each(?)) "
                      "ORDER BY seq LIMIT ?";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return db_error(db_, "prepare");
    s.bind(1, nlohmann::json(backends).dump()).bind(2, static_cast<std::int64_t>(limit));
    std::vector<JobRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_row(s));
    if (rc != SQLITE_DONE) return db_error(db_, "list ended jobs a backend still holds");
    return out;
}

Result<void> JobIndex::release(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "DELETE FROM held WHERE id = ?");
    s.bind(1, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "record the release of job " + id);
    return {};
}

Result<bool> JobIndex::finish(const std::string& id, JobState state, std::optional<int> exitCode,
                              const std::string& reason, const std::string& result,
                              const std::string& sessionId, std::int64_t endedAt) {
    NotifyAfter notify{this};
    std::lock_guard<std::mutex> lock(mutex_);
    WriteTransaction tx(db_);
    if (!tx.begun()) return db_error(db_, "begin");
    std::string from;
    {
        Statement q(db_, "SELECT state FROM jobs WHERE id = ? AND state IN ('queued', 'running')");
        q.bind(1, id);
        int rc = q.step();
        if (rc == SQLITE_DONE) return false;  // already ended (or gone): that record stands
        if (rc != SQLITE_ROW) return db_error(db_, "record the end of job " + id);
        from = q.text(0);
    }
    Statement s(db_,
                "UPDATE jobs SET state = ?, exit_code = ?, reason = ?, result = ?, "
                "session_id = CASE WHEN ? = '' THEN session_id ELSE ? END, ended_at = ? "
                "WHERE id = ? AND state IN ('queued', 'running')");
    s.bind(1, std::string(state_name(state)));
    if (exitCode)
        s.bind(2, static_cast<std::int64_t>(*exitCode));
    else
        s.bind_null(2);
    s.bind(3, reason).bind(4, result).bind(5, sessionId).bind(6, sessionId).bind(7, endedAt);
    s.bind(8, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "record the end of job " + id);
    if (auto r = log_transition(db_, id, from.c_str(), state, reason, endedAt); !r)
        return r.error();
    if (auto r = tx.commit(); !r) return r.error();
    notify.fire = true;
    return true;
}

Result<bool> JobIndex::cancel_queued(const std::string& id, const std::string& reason,
                                     std::int64_t endedAt) {
    NotifyAfter notify{this};
    std::lock_guard<std::mutex> lock(mutex_);
    WriteTransaction tx(db_);
    if (!tx.begun()) return db_error(db_, "begin");
    Statement s(db_,
                "UPDATE jobs SET state = 'cancelled', reason = ?, ended_at = ?, "
                "cancel_requested = 1 WHERE id = ? AND state = 'queued'");
    s.bind(1, reason).bind(2, endedAt).bind(3, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "cancel queued job");
    if (sqlite3_changes(db_) == 0) return false;
    if (auto r = log_transition(db_, id, "queued", JobState::Cancelled, reason, endedAt); !r)
        return r.error();
    if (auto r = tx.commit(); !r) return r.error();
    notify.fire = true;
    return true;
}

Result<void> JobIndex::set_cancel_requested(const std::string& id, int graceSec) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "UPDATE jobs SET cancel_requested = 1, cancel_grace = ? WHERE id = ?");
    s.bind(1, static_cast<std::int64_t>(graceSec)).bind(2, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "record cancel request");
    return {};
}

Result<void> JobIndex::set_session_id(const std::string& id, const std::string& sessionId) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "UPDATE jobs SET session_id = ? WHERE id = ?");
    s.bind(1, sessionId).bind(2, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "record session id");
    return {};
}

Result<std::vector<JobRecord>> JobIndex::active() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return db_error(db_, "prepare");
    std::vector<JobRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_row(s));
    if (rc != SQLITE_DONE) return db_error(db_, "list active jobs");
    return out;
}

Result<ListOutcome> JobIndex::list(const ListFilter& filter) {
    if (filter.limit < 1) return make_error(ErrorCode::InvalidArgument, "limit must be at least 1");
    std::lock_guard<std::mutex> lock(mutex_);
    // Built from fixed fragments only; every value is bound.
    std::string where = "1";
    if (!filter.label.empty()) where += " AND label = ?1";
    std::string page_where = where;
    // Sorted and without repeats, so the SQL text (and the cached statements) stay few.
    std::vector<JobState> states = filter.states;
    std::sort(states.begin(), states.end());
    states.erase(std::unique(states.begin(), states.end()), states.end());
    if (!states.empty()) {
        page_where += " AND state IN (";
        for (std::size_t i = 0; i < states.size(); ++i)
            page_where += (i ? ",'" : "'") + std::string(state_name(states[i])) + "'";
        page_where += ")";
    }
    if (filter.beforeSeq > 0) page_where += " AND seq < ?2";

    ListOutcome out;
    std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE " + page_where +
                      " ORDER BY seq DESC LIMIT ?3";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return db_error(db_, "prepare");
    if (!filter.label.empty()) s.bind(1, filter.label);
    if (filter.beforeSeq > 0) s.bind(2, filter.beforeSeq);
    s.bind(3, static_cast<std::int64_t>(filter.limit) + 1);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.jobs.push_back(read_row(s));
    if (rc != SQLITE_DONE) return db_error(db_, "list jobs");
    if (out.jobs.size() > static_cast<std::size_t>(filter.limit)) {
        out.jobs.pop_back();
        out.nextBeforeSeq = out.jobs.back().seq;
    }

    std::string count_sql = "SELECT state, COUNT(*) FROM jobs WHERE " + where + " GROUP BY state";
    Statement c(db_, count_sql.c_str());
    if (!c.ok()) return db_error(db_, "prepare");
    if (!filter.label.empty()) c.bind(1, filter.label);
    while ((rc = c.step()) == SQLITE_ROW) {
        if (auto st = parse_state(c.text(0))) out.counts.emplace_back(*st, c.int64(1));
    }
    if (rc != SQLITE_DONE) return db_error(db_, "count jobs");
    return out;
}

Result<std::vector<std::string>> JobIndex::ended_before(std::int64_t cutoffMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_,
                "SELECT id FROM jobs WHERE state NOT IN ('queued', 'running') AND ended_at > 0 "
                "AND ended_at < ?");
    s.bind(1, cutoffMs);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return db_error(db_, "find expired jobs");
    return out;
}

Result<void> JobIndex::remove(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "DELETE FROM jobs WHERE id = ? AND state NOT IN ('queued', 'running')");
    s.bind(1, id);
    if (s.step() != SQLITE_DONE) return db_error(db_, "remove job");
    if (sqlite3_changes(db_) > 0) {
        Statement l(db_, "DELETE FROM launches WHERE id = ?");
        l.bind(1, id);
        if (l.step() != SQLITE_DONE) return db_error(db_, "remove launch plan");
        Statement h(db_, "DELETE FROM held WHERE id = ?");
        h.bind(1, id);
        if (h.step() != SQLITE_DONE) return db_error(db_, "remove job");
        Statement t(db_, "DELETE FROM transitions WHERE job_id = ?");
        t.bind(1, id);
        if (t.step() != SQLITE_DONE) return db_error(db_, "remove job");
    }
    return {};
}

Result<std::vector<Transition>> JobIndex::transitions_after(std::int64_t afterSeq, int limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_,
                "SELECT t.seq, t.job_id, t.from_state, t.to_state, t.reason, t.at, "
                "COALESCE(j.label, ''), COALESCE(j.owner_instance, ''), "
                "COALESCE(j.owner_session, '') FROM transitions t LEFT JOIN jobs j ON "
                "j.id = t.job_id WHERE t.seq > ? ORDER BY t.seq LIMIT ?");
    if (!s.ok()) return db_error(db_, "prepare");
    s.bind(1, afterSeq).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Transition> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        Transition t;
        t.seq = s.int64(0);
        t.jobId = s.text(1);
        t.from = parse_state(s.text(2));
        t.to = parse_state(s.text(3)).value_or(JobState::Failed);
        t.reason = s.text(4);
        t.at = s.int64(5);
        t.label = s.text(6);
        t.ownerInstance = s.text(7);
        t.ownerSession = s.text(8);
        out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return db_error(db_, "read state changes");
    return out;
}

Result<std::int64_t> JobIndex::last_transition() {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "SELECT COALESCE(MAX(seq), 0) FROM transitions");
    if (!s.ok() || s.step() != SQLITE_ROW) return db_error(db_, "read state changes");
    return s.int64(0);
}

void JobIndex::on_transition(std::function<void()> listener) {
    onTransition_ = std::move(listener);
}

void JobIndex::transitioned() {
    if (onTransition_) onTransition_();
}

Result<std::string> JobIndex::integrity_check() {
    std::lock_guard<std::mutex> lock(mutex_);
    Statement s(db_, "PRAGMA quick_check");
    std::string out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        std::string line = s.text(0);
        if (line != "ok") out += (out.empty() ? "" : "; ") + line;
    }
    if (rc != SQLITE_DONE) return db_error(db_, "integrity check");
    return out;
}

}  // namespace cj::jobs

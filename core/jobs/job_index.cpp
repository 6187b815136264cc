#include "core/jobs/job_index.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "core/jobs/index_access.h"
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

namespace {

constexpr int kOpenBusyMs = 10000;
constexpr int kReaders = 8;
// How long a caller waits for its write: a start or a cancel answers within these, whatever
// another process does with the index (SPEC: no tool call past 50 s).
constexpr auto kCallerWrite = std::chrono::seconds(10);
constexpr auto kHousekeepingWrite = std::chrono::seconds(1);
// Background writes (an end, a launch) are waited for this long by callers that want the
// answer, then go on in the background.
constexpr auto kBackgroundWait = std::chrono::seconds(10);
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
    ::chmod(path.c_str(), 0600);  // WAL and SHM files take the database file's mode
    sqlite3_busy_timeout(db, kOpenBusyMs);
    sqlite::keep_wal(db);
    // Two processes creating the same index at once can get SQLITE_BUSY from the switch to
    // WAL without the busy handler being asked (SQLite's deadlock avoidance): retry, bounded.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kOpenBusyMs);
    for (;;) {
        auto prepared = prepare_schema(db);
        if (prepared) break;
        if (!prepared.error().retryable || std::chrono::steady_clock::now() >= deadline) {
            sqlite::forget_statements(db);
            sqlite3_close_v2(db);
            return prepared.error();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::unique_ptr<JobIndex>(new JobIndex(path, db));
}

JobIndex::JobIndex(const std::string& path, sqlite3* writeDb)
    : writeDb_(writeDb),
      readers_(path, kReaders),
      writer_(std::make_unique<IndexWriter>(writeDb, [this] {
          if (onTransition_) onTransition_();
      })) {}

JobIndex::~JobIndex() {
    writer_.reset();  // finishes (or gives up on) what is queued, then stops its thread
    sqlite::forget_statements(writeDb_);
    sqlite3_close_v2(writeDb_);
}

template <class F>
auto JobIndex::read(F&& body) -> decltype(body(std::declval<sqlite3*>())) {
    auto lease = readers_.take();
    if (!lease) return lease.error();
    return body(lease->db());
}

Result<WriteState> JobIndex::write(WriteOp op) {
    return writer_->submit(std::move(op));
}

namespace {

WriteOp op(std::function<Result<void>(sqlite3*)> apply, std::chrono::steady_clock::duration wait,
           bool background = false) {
    WriteOp o;
    o.apply = std::move(apply);
    o.background = background;
    o.deadline = std::chrono::steady_clock::now() + wait;
    return o;
}

// A write that must be done before its caller goes on: Pending is an error for it.
Result<void> done_or_error(const Result<WriteState>& written, const std::string& what) {
    if (!written) return written.error();
    if (*written == WriteState::Pending)
        return make_error(ErrorCode::Unavailable,
                          "job index: " + what +
                              " is not written yet (another process holds the index's write "
                              "lock); it will be",
                          0, true);
    return {};
}

Result<void> insert_row(sqlite3* db, JobRecord& draft, int maxRunning, const LaunchInputs& inputs,
                        InsertOutcome& out) {
    if (!draft.idempotencyKey.empty()) {
        auto existing = query_one(db, "idempotency_key = ?", draft.idempotencyKey);
        if (!existing) return existing.error();
        if (*existing) {
            out = InsertOutcome{std::move(**existing), true};
            return {};
        }
    }
    auto same_id = query_one(db, "id = ?", draft.id);
    if (!same_id) return same_id.error();
    if (*same_id)
        return make_error(ErrorCode::AlreadyExists, "a job with id " + draft.id + " exists");
    auto running = count_state(db, JobState::Running);
    if (!running) return running.error();
    auto queued = count_state(db, JobState::Queued);
    if (!queued) return queued.error();
    bool slot = *running < maxRunning && *queued == 0;
    draft.state = slot ? JobState::Running : JobState::Queued;
    draft.claimedAt = slot ? draft.createdAt : 0;

    Statement s(db,
                "INSERT INTO jobs(id, state, backend, label, prompt_preview, work_folder, spec, "
                "idempotency_key, created_at, claimed_at, owner_instance, owner_client, "
                "owner_session, owner_project) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s.ok()) return db_error(db, "prepare");
    s.bind(1, draft.id).bind(2, std::string(state_name(draft.state))).bind(3, draft.backend);
    s.bind(4, draft.label).bind(5, draft.promptPreview).bind(6, draft.workFolder);
    s.bind(7, draft.spec);
    if (draft.idempotencyKey.empty())
        s.bind_null(8);
    else
        s.bind(8, draft.idempotencyKey);
    s.bind(9, draft.createdAt).bind(10, draft.claimedAt);
    s.bind(11, draft.owner.instance).bind(12, draft.owner.client);
    s.bind(13, draft.owner.session).bind(14, draft.owner.project);
    if (s.step() != SQLITE_DONE) return db_error(db, "insert job");
    draft.seq = sqlite3_last_insert_rowid(db);
    if (auto r = log_transition(db, draft.id, "", draft.state, "", draft.createdAt); !r) return r;
    if (!inputs.plan.empty()) {
        Statement l(db, "INSERT OR REPLACE INTO launches(id, prompt, plan) VALUES(?,?,?)");
        l.bind(1, draft.id).bind(2, inputs.prompt).bind(3, inputs.plan);
        if (l.step() != SQLITE_DONE) return db_error(db, "insert launch plan");
    }
    out = InsertOutcome{draft, false};
    return {};
}

}  // namespace

Result<InsertOutcome> JobIndex::insert(JobRecord draft, int maxRunning,
                                       const LaunchInputs& inputs) {
    // claude_start answers only once the row is on disk ("durably recorded"): the commit that
    // covers it is synchronous=FULL, and covers every start that arrived meanwhile.
    auto out = std::make_shared<InsertOutcome>();
    auto shared = std::make_shared<JobRecord>(std::move(draft));
    auto logged = std::make_shared<bool>(false);
    WriteOp o = op(
        [shared, out, maxRunning, inputs, logged](sqlite3* db) {
            JobRecord row = *shared;  // a retried batch starts from the draft again
            auto r = insert_row(db, row, maxRunning, inputs, *out);
            *logged = r && !out->existing;
            return r;
        },
        kCallerWrite);
    o.durable = true;
    o.logged = logged;
    if (auto r = done_or_error(write(std::move(o)), "the new job"); !r) return r.error();
    return std::move(*out);
}

Result<std::optional<LaunchInputs>> JobIndex::launch_inputs(const std::string& id) {
    return read([&](sqlite3* db) -> Result<std::optional<LaunchInputs>> {
        Statement s(db, "SELECT prompt, plan FROM launches WHERE id = ?");
        s.bind(1, id);
        int rc = s.step();
        if (rc == SQLITE_DONE) return std::optional<LaunchInputs>();
        if (rc != SQLITE_ROW) return db_error(db, "read launch plan");
        return std::optional<LaunchInputs>(LaunchInputs{s.text(0), s.text(1)});
    });
}

Result<void> JobIndex::forget_launch_inputs(const std::string& id) {
    auto written = write(op(
        [id](sqlite3* db) -> Result<void> {
            Statement s(db, "DELETE FROM launches WHERE id = ?");
            s.bind(1, id);
            if (s.step() != SQLITE_DONE) return db_error(db, "drop launch plan");
            return {};
        },
        std::chrono::seconds(0), true));
    if (!written) return written.error();
    return {};
}

Result<void> JobIndex::read_with(const std::function<Result<void>(sqlite3*)>& body) {
    return read([&](sqlite3* db) { return body(db); });
}

Result<void> JobIndex::write_with(std::function<Result<void>(sqlite3*)> apply,
                                  std::chrono::milliseconds wait) {
    return done_or_error(write(op(std::move(apply), wait)), "the write");
}

Result<std::optional<JobRecord>> JobIndex::get(const std::string& id) {
    return read([&](sqlite3* db) { return query_one(db, "id = ?", id); });
}

Result<std::optional<JobRecord>> JobIndex::find_by_idempotency_key(const std::string& key) {
    return read([&](sqlite3* db) { return query_one(db, "idempotency_key = ?", key); });
}

Result<std::optional<JobRecord>> JobIndex::promote_next(
    int maxRunning, const std::function<bool(const std::string&)>& canLaunch) {
    auto out = std::make_shared<std::optional<JobRecord>>();
    auto logged = std::make_shared<bool>(false);
    WriteOp o = op(
        [out, maxRunning, canLaunch, logged](sqlite3* db) -> Result<void> {
            out->reset();
            auto running = count_state(db, JobState::Running);
            if (!running) return running.error();
            if (*running >= maxRunning) return {};
            std::string sql = std::string("SELECT ") + kColumns +
                              " FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1";
            JobRecord job;
            {
                Statement s(db, sql.c_str());
                if (!s.ok()) return db_error(db, "prepare");
                int rc = s.step();
                if (rc == SQLITE_DONE) return {};
                if (rc != SQLITE_ROW) return db_error(db, "read queue");
                job = read_row(s);
            }
            // Strict FIFO: a head this process cannot launch waits for a server that can.
            if (!canLaunch(job.backend)) return {};
            job.state = JobState::Running;
            job.claimedAt = util::now_ms();
            Statement u(db, "UPDATE jobs SET state = 'running', claimed_at = ? WHERE id = ?");
            u.bind(1, job.claimedAt).bind(2, job.id);
            if (u.step() != SQLITE_DONE) return db_error(db, "claim queued job");
            if (auto r = log_transition(db, job.id, "queued", JobState::Running, "", job.claimedAt);
                !r)
                return r;
            *out = std::move(job);
            *logged = true;
            return {};
        },
        kHousekeepingWrite);
    o.logged = logged;
    if (auto r = done_or_error(write(std::move(o)), "the promotion"); !r) return r.error();
    return std::move(*out);
}

Result<bool> JobIndex::set_launched(const std::string& id, const std::string& handle,
                                    std::int64_t startedAt,
                                    std::function<void(bool stillRunning)> late) {
    auto launched = std::make_shared<bool>(false);
    WriteOp o = op(
        [id, handle, startedAt, launched](sqlite3* db) -> Result<void> {
            Statement s(db,
                        "UPDATE jobs SET handle = ?, started_at = ? WHERE id = ? AND state = "
                        "'running'");
            s.bind(1, handle).bind(2, startedAt).bind(3, id);
            if (s.step() != SQLITE_DONE) return db_error(db, "record launch");
            *launched = sqlite3_changes(db) > 0;
            Statement held(db, "INSERT OR IGNORE INTO held(id) VALUES(?)");
            held.bind(1, id);
            if (held.step() != SQLITE_DONE) return db_error(db, "record launch");
            // The plan holds the environment: keep it no longer than the launch.
            Statement drop(db, "DELETE FROM launches WHERE id = ?");
            drop.bind(1, id);
            if (drop.step() != SQLITE_DONE) return db_error(db, "drop launch plan");
            return {};
        },
        kBackgroundWait, true);
    auto answered = std::make_shared<std::atomic<bool>>(false);
    o.onDone = [launched, answered, late](const Result<void>& r) {
        if (r && answered->exchange(true) && late) late(*launched);
    };
    auto written = write(std::move(o));
    if (!written) return written.error();
    if (*written == WriteState::Pending) {
        if (answered->exchange(true)) return *launched;  // done just now after all
        return make_error(ErrorCode::Unavailable,
                          "job index: the launch of job " + id +
                              " is not recorded yet (another process holds the index's write "
                              "lock); it will be",
                          0, true);
    }
    answered->store(true);
    return *launched;
}

namespace {

Result<void> finish_row(sqlite3* db, const std::string& id, JobState state,
                        std::optional<int> exitCode, const std::string& reason,
                        const std::string& result, const std::string& sessionId,
                        std::int64_t endedAt, bool& changed) {
    changed = false;
    std::string from;
    {
        Statement q(db, "SELECT state FROM jobs WHERE id = ? AND state IN ('queued', 'running')");
        q.bind(1, id);
        int rc = q.step();
        if (rc == SQLITE_DONE) return {};  // already ended (or gone): that record stands
        if (rc != SQLITE_ROW) return db_error(db, "record the end of job " + id);
        from = q.text(0);
    }
    Statement s(db,
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
    if (s.step() != SQLITE_DONE) return db_error(db, "record the end of job " + id);
    if (auto r = log_transition(db, id, from.c_str(), state, reason, endedAt); !r) return r;
    changed = true;
    return {};
}

}  // namespace

Result<Recorded> JobIndex::record_end(const std::string& id, JobState state,
                                      std::optional<int> exitCode, const std::string& reason,
                                      const std::string& result, const std::string& sessionId,
                                      std::int64_t endedAt, std::chrono::milliseconds wait,
                                      std::function<void(bool changed)> late) {
    auto changed = std::make_shared<bool>(false);
    WriteOp o = op(
        [=](sqlite3* db) {
            return finish_row(db, id, state, exitCode, reason, result, sessionId, endedAt,
                              *changed);
        },
        wait, true);
    o.logged = changed;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    o.onDone = [changed, answered, late](const Result<void>& r) {
        if (r && answered->exchange(true) && late) late(*changed);
    };
    auto written = write(std::move(o));
    if (!written) return written.error();
    if (*written == WriteState::Pending && !answered->exchange(true)) return Recorded::Pending;
    answered->store(true);
    return *changed ? Recorded::Yes : Recorded::AlreadyEnded;
}

Result<bool> JobIndex::finish(const std::string& id, JobState state, std::optional<int> exitCode,
                              const std::string& reason, const std::string& result,
                              const std::string& sessionId, std::int64_t endedAt) {
    auto recorded =
        record_end(id, state, exitCode, reason, result, sessionId, endedAt,
                   std::chrono::duration_cast<std::chrono::milliseconds>(kBackgroundWait));
    if (!recorded) return recorded.error();
    if (*recorded == Recorded::Pending)
        return make_error(ErrorCode::Unavailable,
                          "job index: the end of job " + id +
                              " is not recorded yet (another process holds the index's write "
                              "lock); it will be",
                          0, true);
    return *recorded == Recorded::Yes;
}

Result<bool> JobIndex::cancel_queued(const std::string& id, const std::string& reason,
                                     std::int64_t endedAt) {
    auto changed = std::make_shared<bool>(false);
    WriteOp o = op(
        [=](sqlite3* db) -> Result<void> {
            *changed = false;
            Statement s(db,
                        "UPDATE jobs SET state = 'cancelled', reason = ?, ended_at = ?, "
                        "cancel_requested = 1 WHERE id = ? AND state = 'queued'");
            s.bind(1, reason).bind(2, endedAt).bind(3, id);
            if (s.step() != SQLITE_DONE) return db_error(db, "cancel queued job");
            if (sqlite3_changes(db) == 0) return {};
            if (auto r = log_transition(db, id, "queued", JobState::Cancelled, reason, endedAt); !r)
                return r;
            *changed = true;
            return {};
        },
        kCallerWrite);
    o.logged = changed;
    if (auto r = done_or_error(write(std::move(o)), "the cancel"); !r) return r.error();
    return *changed;
}

Result<void> JobIndex::set_cancel_requested(const std::string& id, int graceSec) {
    return done_or_error(
        write(op(
            [=](sqlite3* db) -> Result<void> {
                Statement s(db,
                            "UPDATE jobs SET cancel_requested = 1, cancel_grace = ? WHERE id = ?");
                s.bind(1, static_cast<std::int64_t>(graceSec)).bind(2, id);
                if (s.step() != SQLITE_DONE) return db_error(db, "record cancel request");
                return {};
            },
            kCallerWrite)),
        "the cancel request");
}

Result<void> JobIndex::set_session_id(const std::string& id, const std::string& sessionId) {
    auto written = write(op(
        [=](sqlite3* db) -> Result<void> {
            Statement s(db, "UPDATE jobs SET session_id = ? WHERE id = ?");
            s.bind(1, sessionId).bind(2, id);
            if (s.step() != SQLITE_DONE) return db_error(db, "record session id");
            return {};
        },
        kBackgroundWait, true));
    if (!written) return written.error();
    return {};
}

Result<std::vector<JobRecord>> JobIndex::active() {
    return read([&](sqlite3* db) -> Result<std::vector<JobRecord>> {
        std::string sql = std::string("SELECT ") + kColumns +
                          " FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq";
        Statement s(db, sql.c_str());
        if (!s.ok()) return db_error(db, "prepare");
        std::vector<JobRecord> out;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_row(s));
        if (rc != SQLITE_DONE) return db_error(db, "list active jobs");
        return out;
    });
}
Result<ListOutcome> JobIndex::list(const ListFilter& filter) {
    if (filter.limit < 1) return make_error(ErrorCode::InvalidArgument, "limit must be at least 1");
    return read([&](sqlite3* db) -> Result<ListOutcome> {
        // Built from fixed fragments only; every value is bound.
        std::string where = "1";
        if (!filter.label.empty()) where += " AND label = ?1";
        if (filter.owner)
            where += " AND (owner_instance = ?4 OR (?5 <> '' AND owner_session = ?5))";
        std::string page_where = where;
        auto bind_owner = [&](Statement& st) {
            if (!filter.owner) return;
            // An unknown instance matches nothing (old jobs have ''), as in same_owner().
            st.bind(4, filter.owner->instance.empty() ? std::string("\x01") : filter.owner->instance);
            st.bind(5, filter.owner->session);
        };
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
        Statement s(db, sql.c_str());
        if (!s.ok()) return db_error(db, "prepare");
        if (!filter.label.empty()) s.bind(1, filter.label);
        if (filter.beforeSeq > 0) s.bind(2, filter.beforeSeq);
        s.bind(3, static_cast<std::int64_t>(filter.limit) + 1);
        bind_owner(s);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out.jobs.push_back(read_row(s));
        if (rc != SQLITE_DONE) return db_error(db, "list jobs");
        if (out.jobs.size() > static_cast<std::size_t>(filter.limit)) {
            out.jobs.pop_back();
            out.nextBeforeSeq = out.jobs.back().seq;
        }

        // The counts come from job_counts (kept by triggers), but for one owner's jobs.
        std::string count_sql =
            filter.owner ? "SELECT state, COUNT(*) FROM jobs WHERE " + where + " GROUP BY state"
            : filter.label.empty()
                ? std::string("SELECT state, SUM(n) FROM job_counts GROUP BY state")
                : std::string("SELECT state, n FROM job_counts WHERE label = ?1");
        Statement c(db, count_sql.c_str());
        if (!c.ok()) return db_error(db, "prepare");
        if (!filter.label.empty()) c.bind(1, filter.label);
        bind_owner(c);
        while ((rc = c.step()) == SQLITE_ROW) {
            if (auto st = parse_state(c.text(0))) out.counts.emplace_back(*st, c.int64(1));
        }
        if (rc != SQLITE_DONE) return db_error(db, "count jobs");
        return out;
    });
}

Result<std::vector<JobRecord>> JobIndex::held_after_end(const std::vector<std::string>& backends,
                                                        int limit) {
    return read([&](sqlite3* db) -> Result<std::vector<JobRecord>> {
        std::string sql = std::string("SELECT ") + kColumns +
                          " FROM jobs WHERE state NOT IN ('queued', 'running') AND id IN "
                          "(SELECT id FROM held) AND backend IN (SELECT value FROM json_each(?)) "
                          "ORDER BY seq LIMIT ?";
        Statement s(db, sql.c_str());
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, nlohmann::json(backends).dump()).bind(2, static_cast<std::int64_t>(limit));
        std::vector<JobRecord> out;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_row(s));
        if (rc != SQLITE_DONE) return db_error(db, "list ended jobs a backend still holds");
        return out;
    });
}

Result<std::vector<std::string>> JobIndex::ended_before(std::int64_t cutoffMs) {
    return read([&](sqlite3* db) -> Result<std::vector<std::string>> {
        Statement s(db,
                    "SELECT id FROM jobs WHERE state NOT IN ('queued', 'running') AND ended_at > 0 "
                    "AND ended_at < ?");
        s.bind(1, cutoffMs);
        std::vector<std::string> out;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
        if (rc != SQLITE_DONE) return db_error(db, "find expired jobs");
        return out;
    });
}

Result<std::vector<Transition>> JobIndex::transitions_after(std::int64_t afterSeq, int limit) {
    return read([&](sqlite3* db) -> Result<std::vector<Transition>> {
        Statement s(db,
                    "SELECT t.seq, t.job_id, t.from_state, t.to_state, t.reason, t.at, "
                    "COALESCE(j.label, ''), COALESCE(j.owner_instance, ''), "
                    "COALESCE(j.owner_session, '') FROM transitions t LEFT JOIN jobs j ON "
                    "j.id = t.job_id WHERE t.seq > ? ORDER BY t.seq LIMIT ?");
        if (!s.ok()) return db_error(db, "prepare");
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
        if (rc != SQLITE_DONE) return db_error(db, "read state changes");
        return out;
    });
}

Result<std::int64_t> JobIndex::last_transition() {
    return read([&](sqlite3* db) -> Result<std::int64_t> {
        Statement s(db, "SELECT COALESCE(MAX(seq), 0) FROM transitions");
        if (!s.ok() || s.step() != SQLITE_ROW) return db_error(db, "read state changes");
        return s.int64(0);
    });
}

Result<std::string> JobIndex::integrity_check() {
    return read([&](sqlite3* db) -> Result<std::string> {
        Statement s(db, "PRAGMA quick_check");
        std::string out;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            std::string line = s.text(0);
            if (line != "ok") out += (out.empty() ? "" : "; ") + line;
        }
        if (rc != SQLITE_DONE) return db_error(db, "integrity check");
        return out;
    });
}

Result<void> JobIndex::release(const std::string& id) {
    auto written = write(op(
        [id](sqlite3* db) -> Result<void> {
            Statement s(db, "DELETE FROM held WHERE id = ?");
            s.bind(1, id);
            if (s.step() != SQLITE_DONE) return db_error(db, "record the release of job " + id);
            return {};
        },
        kBackgroundWait, true));
    if (!written) return written.error();
    return {};
}

Result<void> JobIndex::remove(const std::string& id) {
    return done_or_error(
        write(op(
            [id](sqlite3* db) -> Result<void> {
                Statement s(db,
                            "DELETE FROM jobs WHERE id = ? AND state NOT IN ('queued', 'running')");
                s.bind(1, id);
                if (s.step() != SQLITE_DONE) return db_error(db, "remove job");
                if (sqlite3_changes(db) == 0) return {};
                for (const char* sql :
                     {"DELETE FROM launches WHERE id = ?", "DELETE FROM held WHERE id = ?",
                      "DELETE FROM transitions WHERE job_id = ?",
                      "DELETE FROM wake_marks WHERE job_id = ?"}) {
                    Statement d(db, sql);
                    d.bind(1, id);
                    if (d.step() != SQLITE_DONE) return db_error(db, "remove job");
                }
                return {};
            },
            kBackgroundWait, true)),
        "the removal of job " + id);
}

void JobIndex::write_soon(std::function<Result<void>(sqlite3*)> body) {
    auto written = write(op(std::move(body), std::chrono::milliseconds(20), true));
    if (!written) spdlog::debug("job index: a note on a job was not written: {}", written.error().message);
}

void JobIndex::on_transition(std::function<void()> listener) {
    onTransition_ = std::move(listener);
}

}  // namespace cj::jobs

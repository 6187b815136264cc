#include "core/jobs/index_schema.h"

#include <cstdlib>
#include <iterator>
#include <string>

#include "core/jobs/sqlite_db.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using sqlite::db_error;
using sqlite::exec;
using sqlite::Statement;
using sqlite::WriteTransaction;

namespace {

// The schema grows by migrations, each applied once, in order, inside the write transaction
// that opens the index (a fresh index goes through all of them). A feature that needs new
// columns or tables appends one; an index written by a newer claude-jobs is refused.
struct Migration {
    int version;
    const char* sql;
};

constexpr const char* kBaseSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,
    backend          TEXT NOT NULL,
    label            TEXT NOT NULL DEFAULT '',
    prompt_preview   TEXT NOT NULL DEFAULT '',
    work_folder      TEXT NOT NULL,
    spec             TEXT NOT NULL,
    idempotency_key  TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    claimed_at       INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL DEFAULT 0,
    ended_at         INTEGER NOT NULL DEFAULT 0,
    exit_code        INTEGER,
    reason           TEXT NOT NULL DEFAULT '',
    result           TEXT NOT NULL DEFAULT '',
    session_id       TEXT NOT NULL DEFAULT '',
    handle           TEXT NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    cancel_grace     INTEGER NOT NULL DEFAULT 10
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq);
CREATE INDEX IF NOT EXISTS jobs_by_end ON jobs(ended_at);
CREATE TABLE IF NOT EXISTS launches (
    id     TEXT PRIMARY KEY,
    prompt TEXT NOT NULL,
    plan   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY);
)sql";

// Who started each job (server instance, client, the host's session and project), and the
// log of state changes every follower reads: events --follow, wake-ups, task notifications.
constexpr const char* kOwnersAndTransitions = R"sql(
ALTER TABLE jobs ADD COLUMN owner_instance TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN owner_client TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN owner_session TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN owner_project TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_by_owner_session ON jobs(owner_session, seq);
CREATE TABLE transitions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
);
CREATE INDEX transitions_by_job ON transitions(job_id);
)sql";

// Wake-ups (docs/notifications.md): which job ends the owner already read ("collected":
// claude_check or claude_wait showed the terminal state) and which it was told of, once per
// path ("told:channel", "told:hook"). One row per (job, mark); removed with the job.
constexpr const char* kWakeMarks = R"sql(
CREATE TABLE wake_marks (
    job_id TEXT NOT NULL,
    mark   TEXT NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (job_id, mark)
) WITHOUT ROWID;
)sql";

// Money and limits (docs/limits.md): the cost ledger (one row per job and model, kept when
// the job's row is removed), which ended jobs it has taken in, and the resume schedule of
// jobs that hit a usage limit.
constexpr const char* kLedgerAndResumes = R"sql(
ALTER TABLE jobs ADD COLUMN ledger_settled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_unsettled ON jobs(ledger_settled, state);
CREATE TABLE costs (
    job_id             TEXT NOT NULL,
    model              TEXT NOT NULL,
    cost_usd           REAL NOT NULL DEFAULT 0,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    day                TEXT NOT NULL,
    ended_at           INTEGER NOT NULL,
    label              TEXT NOT NULL DEFAULT '',
    backend            TEXT NOT NULL DEFAULT '',
    owner              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, model)
);
CREATE INDEX costs_by_end ON costs(ended_at);
CREATE TABLE resumes (
    job_id     TEXT PRIMARY KEY,
    due_at     INTEGER NOT NULL DEFAULT 0,
    state      TEXT NOT NULL,
    resumed_as TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resumes_by_due ON resumes(state, due_at);
)sql";

// Listing that scales (claude_jobs): a label's jobs newest first through an index, and the
// counts per state kept up to date by triggers, so a list never counts the whole table.
constexpr const char* kListing = R"sql(
CREATE INDEX jobs_by_label ON jobs(label, seq);
CREATE TABLE job_counts (
    label TEXT NOT NULL,
    state TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (label, state)
) WITHOUT ROWID;
INSERT INTO job_counts(label, state, n) SELECT label, state, COUNT(*) FROM jobs GROUP BY label, state;
CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts(label, state, n) VALUES (NEW.label, NEW.state, 1)
        ON CONFLICT(label, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE label = OLD.label AND state = OLD.state;
END;
CREATE TRIGGER job_counts_update AFTER UPDATE OF state, label ON jobs
    WHEN OLD.state IS NOT NEW.state OR OLD.label IS NOT NEW.label BEGIN
    UPDATE job_counts SET n = n - 1 WHERE label = OLD.label AND state = OLD.state;
    INSERT INTO job_counts(label, state, n) VALUES (NEW.label, NEW.state, 1)
        ON CONFLICT(label, state) DO UPDATE SET n = n + 1;
END;
)sql";

constexpr Migration kMigrations[] = {
    {1, kBaseSchema},
    {2, kOwnersAndTransitions},
    {3, kWakeMarks},
    {4, kLedgerAndResumes},
    {5, kListing},
};
constexpr int kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;

}  // namespace

// Journal mode, sync level, and the schema brought to kSchemaVersion; idempotent.
Result<void> prepare_schema(sqlite3* db) {
    // NORMAL: in WAL mode a commit is safe from a crash of the process, and reaches the disk
    // at the next checkpoint. The one commit that must be on disk before anyone is told
    // about it, a new job's row, is made with FULL (see insert).
    if (auto r = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r) return r;
    WriteTransaction tx(db);
    if (!tx.begun()) return db_error(db, "begin");
    if (auto r =
            exec(db, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        !r)
        return r;
    int version = 0;
    {
        Statement s(db, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (s.step() == SQLITE_ROW) version = std::atoi(s.text(0).c_str());
    }
    if (version > kSchemaVersion)
        return make_error(ErrorCode::Unavailable,
                          "job index: its schema (version " + std::to_string(version) +
                              ") was written by a newer claude-jobs than this one (which knows " +
                              std::to_string(kSchemaVersion) +
                              "); update claude-jobs, or use another stateDir");
    for (const auto& m : kMigrations) {
        if (m.version <= version) continue;
        if (auto r = exec(db, m.sql); !r) return r;
    }
    Statement s(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
    s.bind(1, std::to_string(kSchemaVersion));
    if (s.step() != SQLITE_DONE) return db_error(db, "write schema version");
    return tx.commit();
}

}  // namespace cj::jobs

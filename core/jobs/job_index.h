// The job index: one SQLite database (WAL) per state dir, shared by every server process
// that uses the dir. It is the single source of truth for which jobs exist and their states;
// the concurrency cap, the FIFO queue and idempotency are enforced inside its transactions.
//
// Thread-safety: every method may be called from any thread. Reads take a connection of
// their own and never wait for writes; writes are committed in batches by the index writer,
// on the thread of a caller that finds no batch being written (index_access.h). No call waits
// past its own bound for another process that holds the index: a start or a cancel is
// refused (Unavailable, retryable), an end or a launch goes on in the background.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/jobs/index_access.h"
#include "core/jobs/job_record.h"

struct sqlite3;

namespace cj::jobs {

// What a launch needs besides the row, kept in the index from acceptance to launch (and so
// made durable by the same commit): the prompt and the launch plan (JSON, with the
// environment — dropped once launched).
struct LaunchInputs {
    std::string prompt;
    std::string plan;
};

struct InsertOutcome {
    JobRecord job;
    bool existing = false;  // the idempotency key named an earlier job: nothing was inserted
};

struct ListFilter {
    std::vector<JobState> states;  // empty = all
    std::string label;             // "" = any
    // Only the jobs of this owner (same_owner: its process, or its host session); nullopt = any.
    std::optional<JobOwner> owner;
    int limit = 50;
    std::int64_t beforeSeq = 0;  // cursor: only jobs older than this (0 = from the newest)
};

struct ListOutcome {
    std::vector<JobRecord> jobs;
    std::vector<std::pair<JobState, std::int64_t>> counts;  // per state, for the filter's label
    std::int64_t nextBeforeSeq = 0;                         // 0 = no more
};

// One entry of the transitions log: a job moved from one state to another (from is nullopt
// for a new job). With the job's label and owner, for followers that filter by them.
struct Transition {
    std::int64_t seq = 0;  // increasing; a follower passes back the last it saw
    std::string jobId;
    std::optional<JobState> from;
    JobState to = JobState::Queued;
    std::string reason;
    std::int64_t at = 0;  // ms since epoch
    std::string label;
    std::string ownerInstance;
    std::string ownerSession;
};

// Whether an end was written: Pending when another process holds the index's write lock
// (the write goes on in the background).
enum class Recorded { Yes, AlreadyEnded, Pending };

class JobIndex {
  public:
    // Opens (creating if needed, 0600) the database at path.
    static claude_jobs::Result<std::unique_ptr<JobIndex>> open(const std::string& path);
    ~JobIndex();

    // Records a new job. In one write transaction: an existing job with the same
    // idempotency key is returned instead (existing=true); an id in use is AlreadyExists;
    // the job becomes Running (a launch slot taken, claimedAt set) when fewer than
    // maxRunning jobs run and none is queued, else Queued.
    claude_jobs::Result<InsertOutcome> insert(JobRecord draft, int maxRunning,
                                              const LaunchInputs& inputs = {});

    claude_jobs::Result<std::optional<LaunchInputs>> launch_inputs(const std::string& id);
    claude_jobs::Result<void> forget_launch_inputs(const std::string& id);

    claude_jobs::Result<std::optional<JobRecord>> get(const std::string& id);
    claude_jobs::Result<std::optional<JobRecord>> find_by_idempotency_key(const std::string& key);

    // Takes a launch slot for the oldest queued job, if fewer than maxRunning run.
    // Returns the job now Running (claimedAt set), or nullopt.
    // canLaunch(backend) says whether the caller can launch on that backend; when the oldest
    // queued job's backend is not one of them, nothing is promoted (strict FIFO).
    claude_jobs::Result<std::optional<JobRecord>> promote_next(
        int maxRunning, const std::function<bool(const std::string&)>& canLaunch);

    // The backend launched it: store its handle and start time (and drop its launch plan).
    // false when the job is no longer running (it was recorded as ended meanwhile): the
    // caller must stop what it launched. When another process holds the index longer than
    // the caller waits, Unavailable: the write goes on in the background, and `late` is
    // told later whether the job still ran (false: stop what was launched).
    claude_jobs::Result<bool> set_launched(const std::string& id, const std::string& handle,
                                           std::int64_t startedAt,
                                           std::function<void(bool stillRunning)> late = {});

    // Moves a non-terminal job to a terminal state, in the background: the caller waits at
    // most `wait`. Yes, AlreadyEnded (someone else recorded the end first; terminal states
    // never change), or Pending (another process holds the index: it is written as soon as
    // it can be, and `late` is told whether it changed the row).
    claude_jobs::Result<Recorded> record_end(const std::string& id, JobState state,
                                             std::optional<int> exitCode, const std::string& reason,
                                             const std::string& result,
                                             const std::string& sessionId, std::int64_t endedAt,
                                             std::chrono::milliseconds wait,
                                             std::function<void(bool changed)> late = {});
    // record_end() waited for: false when it was already terminal; Unavailable when it is
    // still pending after the index's usual wait.
    claude_jobs::Result<bool> finish(const std::string& id, JobState state,
                                     std::optional<int> exitCode, const std::string& reason,
                                     const std::string& result, const std::string& sessionId,
                                     std::int64_t endedAt);

    // Queued -> Cancelled, in one step. false when it was not queued (any more).
    claude_jobs::Result<bool> cancel_queued(const std::string& id, const std::string& reason,
                                            std::int64_t endedAt);

    claude_jobs::Result<void> set_cancel_requested(const std::string& id, int graceSec);
    claude_jobs::Result<void> set_session_id(const std::string& id, const std::string& sessionId);

    // Jobs that are queued or running, oldest first.
    claude_jobs::Result<std::vector<JobRecord>> active();

    claude_jobs::Result<ListOutcome> list(const ListFilter& filter);

    // A launched job is "held" (its backend may keep a session, a container…) until
    // release(): held_after_end lists ended jobs on these backends not yet released, oldest
    // first.
    claude_jobs::Result<std::vector<JobRecord>> held_after_end(
        const std::vector<std::string>& backends, int limit);
    claude_jobs::Result<void> release(const std::string& id);

    // Ids of terminal jobs that ended before cutoffMs.
    claude_jobs::Result<std::vector<std::string>> ended_before(std::int64_t cutoffMs);
    claude_jobs::Result<void> remove(const std::string& id);

    // The state changes logged after afterSeq (oldest first, at most limit): every new job,
    // promotion and end, written in the same transaction as the change itself, so a
    // follower in any process sees each exactly once and in order.
    claude_jobs::Result<std::vector<Transition>> transitions_after(std::int64_t afterSeq,
                                                                   int limit);
    // The seq of the newest state change (0 when none): where a follower that wants only
    // what happens from now on starts.
    claude_jobs::Result<std::int64_t> last_transition();

    // Called (on the thread that wrote the batch, outside the writer's lock) after this
    // process committed a state change. Set before concurrent use.
    void on_transition(std::function<void()> listener);

    // For rooms that keep tables of their own in the index (added by their own migration: the
    // cost ledger, the resume schedule, the wake marks): `body` runs on a reader connection,
    // or inside a write transaction of the writer (in a savepoint of its own) that the caller
    // waits for at most `wait` (Unavailable, retryable, when not begun by then). Neither may
    // call back into the index.
    claude_jobs::Result<void> read_with(const std::function<claude_jobs::Result<void>(sqlite3*)>& body);
    claude_jobs::Result<void> write_with(std::function<claude_jobs::Result<void>(sqlite3*)> body,
                                         std::chrono::milliseconds wait = std::chrono::seconds(10));
    // The same write, in the background: the caller waits at most a moment, never for another
    // process's lock; it is written as soon as it can be.
    void write_soon(std::function<claude_jobs::Result<void>(sqlite3*)> body);

    // PRAGMA quick_check: "" when fine, else what it found.
    claude_jobs::Result<std::string> integrity_check();

  private:
    JobIndex(const std::string& path, sqlite3* writeDb);
    template <class F>
    auto read(F&& body) -> decltype(body(std::declval<sqlite3*>()));
    claude_jobs::Result<WriteState> write(WriteOp op);

    sqlite3* writeDb_;  // the writer's, from open() on
    ReaderPool readers_;
    std::function<void()> onTransition_;
    std::unique_ptr<IndexWriter> writer_;  // last: its thread stops first
};

}  // namespace cj::jobs

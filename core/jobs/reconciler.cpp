#include "core/jobs/reconciler.h"

#include <spdlog/spdlog.h>

#include "core/jobs/outcome.h"
#include "core/transcript/text.h"
#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/ids.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using transcript::one_line;

namespace {
constexpr std::size_t kExitRecordMaxBytes = 64 * 1024;
constexpr std::size_t kStderrTailBytes = 2000;
constexpr std::size_t kAnnotationBytes = 500;
// A running row without a handle is a launch in progress; past this, its launcher died.
constexpr std::int64_t kLaunchGraceMs = 120 * 1000;
}  // namespace

Result<JobRecord> Reconciler::load(const std::string& id) {
    if (!util::is_valid_job_id(id))
        return make_error(ErrorCode::NotFound, "no job \"" + one_line(id, 80) + "\"");
    auto row = index_.get(id);
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::NotFound, "no job " + id);
    return with_pending_end(std::move(**row));
}

JobRecord Reconciler::with_pending_end(JobRecord row) {
    std::lock_guard<std::mutex> lock(pendingMutex_);
    auto pending = pendingEnds_.find(row.id);
    if (pending == pendingEnds_.end()) return row;
    if (is_terminal(row.state)) {  // written meanwhile (by us, or someone else first)
        pendingEnds_.erase(pending);
        return row;
    }
    return pending->second;
}

void Reconciler::free_backend(const JobRecord& job) {
    // A backend that does not know the job here (never recovered in this process) is left for
    // the release pass of the housekeeping, which recovers it first.
    if (const BackendEntry* entry = backends_.find(job.backend); entry && entry->backend)
        if (entry->backend->destroy(job.id)) index_.release(job.id);
    backends_.forget(job.id);
}

Result<JobRecord> Reconciler::current(const std::string& id) {
    auto job = load(id);
    if (!job) return job.error();
    return refresh(std::move(*job));
}

JobRecord Reconciler::record_end(const JobRecord& job, JobState state, std::optional<int> exitCode,
                                 const std::string& reason, const ScanSnapshot* scanned) {
    ScanSnapshot snap = scanned ? *scanned : events_.scan(job.id);
    std::string result = snap.result ? snap.result->to_json().dump() : "";
    std::string line = one_line(disk_.annotate(job.id, state, reason), kAnnotationBytes);
    std::int64_t endedAt = util::now_ms();
    JobRecord ended = job;
    ended.state = state;
    ended.exitCode = exitCode;
    ended.reason = line;
    ended.result = result;
    if (!snap.sessionId.empty()) ended.sessionId = snap.sessionId;
    ended.endedAt = endedAt;
    auto late = [this, ended](bool changed) {
        disk_.forget(ended.id);
        if (changed) {
            spdlog::info("job {} {} (written late): {}", ended.id, state_name(ended.state),
                         ended.reason);
            free_backend(ended);
        }
        std::lock_guard<std::mutex> lock(pendingMutex_);
        pendingEnds_.erase(ended.id);
    };
    auto recorded = index_.record_end(job.id, state, exitCode, line, result, snap.sessionId,
                                      endedAt, kEndWait, late);
    if (!recorded) {
        spdlog::error("job {}: cannot record its end: {}", job.id, recorded.error().message);
        return job;
    }
    if (*recorded == Recorded::Pending) {
        spdlog::warn(
            "job {} {}: {} (the job index is held by another process; written when "
            "it is free)",
            job.id, state_name(state), line);
        ended.endPending = true;
        std::lock_guard<std::mutex> lock(pendingMutex_);
        pendingEnds_[job.id] = ended;
        return ended;
    }
    disk_.forget(job.id);  // recorded, here or by someone else
    if (*recorded == Recorded::Yes) {
        spdlog::info("job {} {}: {}", job.id, state_name(state), line);
        free_backend(job);
    }
    auto now = index_.get(job.id);
    return now && *now ? **now : job;
}

Result<JobRecord> Reconciler::finalize_from_exit(const JobRecord& job,
                                                 const std::string& exitText) {
    auto exit = parse_exit_record(exitText);
    if (!exit) {
        // Written atomically, so a bad record was damaged after the fact: say so.
        return record_end(job, JobState::Failed, std::nullopt,
                          "the exit record exit.json is unreadable");
    }
    auto snap = events_.scan(job.id);
    Outcome outcome = decide_outcome(*exit, snap.result, job.cancelRequested,
                                     read_stderr_tail(dirs_, job.id, kStderrTailBytes));
    return record_end(job, outcome.state, outcome.exitCode, outcome.reason, &snap);
}

Result<JobRecord> Reconciler::refresh(JobRecord job) {
    job = with_pending_end(std::move(job));
    if (job.state != JobState::Running) return job;
    std::string exitPath = dirs_.file(job.id, job_files::kExit);
    auto read_exit = [&]() { return util::read_file(exitPath, kExitRecordMaxBytes); };
    auto exit_text = read_exit();
    // Only a missing record means "no record": a read that failed (EMFILE, EIO) says
    // nothing, and must not turn a finished job into an orphan.
    if (!exit_text) {
        spdlog::warn("job {}: {}", job.id, exit_text.error().message);
        return job;
    }
    if (*exit_text) return finalize_from_exit(job, **exit_text);
    if (job.handle.empty()) {
        if (job.claimedAt > 0 && util::now_ms() - job.claimedAt > kLaunchGraceMs)
            return record_end(job, JobState::Failed, std::nullopt,
                              "the server stopped while launching it");
        return job;
    }
    auto attached = backends_.attach(job);
    if (!attached) {
        if (attached.error().code == ErrorCode::Unavailable)
            return job;  // nothing here can judge it
        return record_end(job, JobState::Orphaned, std::nullopt, attached.error().message);
    }
    const BackendEntry* entry = *attached;
    auto status = entry->backend->status(job.id);
    if (!status) return job;
    if (status->state == claude_jobs::RunState::Running) {
        job.waiting = one_line(status->reason, kAnnotationBytes);
        return job;
    }
    // It ended: the supervisor may have written its record just after the first look.
    exit_text = read_exit();
    if (!exit_text) return job;
    if (*exit_text) return finalize_from_exit(job, **exit_text);
    if (status->state == claude_jobs::RunState::Exited) {
        ExitRecord exit;
        if (status->signal)
            exit.signal = status->signal;
        else
            exit.exitCode = status->exitCode;
        auto snap = events_.scan(job.id);
        Outcome outcome = decide_outcome(exit, snap.result, job.cancelRequested, "");
        return record_end(job, outcome.state, outcome.exitCode, outcome.reason, &snap);
    }
    entry->backend->stop(job.id, 0);  // end whatever the vanished supervisor left running
    if (job.cancelRequested)
        return record_end(job, JobState::Cancelled, std::nullopt,
                          "cancelled by request (" + status->reason + ")");
    return record_end(job, JobState::Orphaned, std::nullopt,
                      status->reason.empty() ? "its supervisor vanished" : status->reason);
}

}  // namespace cj::jobs

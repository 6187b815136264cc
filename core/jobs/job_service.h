// The job service: everything the tools (and later the command line) do with jobs, over the
// job index, the per-job files and the backends. Tools never talk to a backend directly.
//
// Thread-safety: all methods may be called concurrently from request threads and from the
// housekeeping thread; the job index serializes what must be serialized, and a job's end is
// recorded once (terminal states never change).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/events.h"
#include "core/jobs/job_index.h"
#include "core/jobs/start_request.h"
#include "core/protocol/request_context.h"

namespace cj::jobs {

struct ViewOptions {
    std::size_t tailBytes = 8000;
    std::optional<std::uint64_t> sinceOffset;
    // result.text longer than this is cut (and result.truncated says so); 0 = max(tailBytes, 16 KiB)
    std::size_t resultBytes = 0;
};

struct StartOutcome {
    JobRecord job;
    bool existing = false;  // an earlier job with the same idempotency key
    std::optional<std::int64_t> queuePosition;
    std::string attach;
};

enum class WaitMode { Any, All };

struct WaitOutcome {
    std::vector<nlohmann::json> done;  // job views
    std::vector<std::string> pending;
    bool timedOut = false;
};

struct ListRequest {
    ListFilter filter;
};

class JobService {
public:
    // depth: this server's CLAUDE_JOBS_DEPTH (0 at the top).
    JobService(config::Config config, JobIndex& index, BackendSet& backends, int depth,
               std::vector<std::string> baseEnv);

    claude_jobs::Result<StartOutcome> start(const StartRequest& request);
    claude_jobs::Result<nlohmann::json> check(const std::string& id, const ViewOptions& options);
    claude_jobs::Result<WaitOutcome> wait(const std::vector<std::string>& ids, WaitMode mode,
                                          std::chrono::milliseconds timeout,
                                          protocol::CancelToken& cancel,
                                          const std::function<void(const WaitOutcome&)>& progress);
    claude_jobs::Result<nlohmann::json> cancel(const std::string& id, int graceSec,
                                               protocol::CancelToken& cancel);
    // Types text into an interactive job (then Enter). invalid_argument for a job whose
    // backend takes no input or that is not running.
    claude_jobs::Result<nlohmann::json> send(const std::string& id, const std::string& text);
    claude_jobs::Result<nlohmann::json> list(const ListFilter& filter);
    nlohmann::json backends_report(const std::vector<nlohmann::json>& modules);
    // Problems with the setup that make every job fail, for a person to fix.
    std::vector<std::string> setup_warnings() const;

    // Housekeeping, called about every 200 ms by one thread: records jobs that ended, marks
    // vanished ones orphaned, and launches queued jobs into free slots (FIFO).
    void pump();
    // Frees what backends still hold (a container, a session) for ended jobs whose destroy()
    // never ran or failed, e.g. a server stopped between recording an end and freeing it.
    // Returns how many were freed. Called by sweep().
    int release_held();
    // release_held(), then removes terminal jobs older than retentionDays (files and row).
    // Returns how many were removed.
    int sweep();

    // The view of a job as tools return it.
    nlohmann::json view(const JobRecord& job, const ViewOptions& options);

    const config::Config& config() const { return config_; }
    std::string job_dir(const std::string& id) const;

private:
    // Per-job incremental reading of events.jsonl: only bytes not seen before are read.
    struct ScanSnapshot {
        Activity activity;
        std::string sessionId;
        std::optional<ResultSummary> result;
    };
    claude_jobs::Result<JobRecord> load(const std::string& id);
    // Brings a running job's row up to date from its files and its backend.
    claude_jobs::Result<JobRecord> refresh(JobRecord job);
    claude_jobs::Result<JobRecord> finalize_from_exit(const JobRecord& job,
                                                      const std::string& exitText);
    // scanned: the event summary the caller already read (else it is read here).
    JobRecord record_end(const JobRecord& job, JobState state, std::optional<int> exitCode,
                         const std::string& reason, const ScanSnapshot* scanned = nullptr);
    void launch(JobRecord job);
    // The job's backend, with the job recovered into it: Unavailable when this server does
    // not have that backend; another code (message ready to be a reason) when the job
    // cannot be attached.
    claude_jobs::Result<const BackendEntry*> attach(const JobRecord& job);
    // Asks the job's backend to stop it (recovering the job first if needed). A job the
    // backend no longer knows has ended: that is a success.
    claude_jobs::Result<void> request_stop(const JobRecord& job, int graceSec);
    std::string stderr_tail(const std::string& id) const;
    void restop_if_due(const JobRecord& job);
    void promote_queued();
    claude_jobs::Result<std::string> resolve_work_folder(const std::string& requested);
    claude_jobs::Result<std::string> resolve_resume(const StartRequest& request);

    ScanSnapshot scan(const std::string& id);
    struct ScanState {
        std::mutex mutex;
        EventScanner scanner;
        std::uint64_t fed = 0;
        std::uint64_t lastUsed = 0;  // scanClock_ at the last read, under scanMutex_
    };

    config::Config config_;
    JobIndex& index_;
    BackendSet& backends_;
    int depth_;
    std::vector<std::string> baseEnv_;
    std::mutex scanMutex_;
    std::map<std::string, std::shared_ptr<ScanState>> scans_;
    std::uint64_t scanClock_ = 0;
    std::mutex launchMutex_;
    std::mutex stopMutex_;
    std::map<std::string, std::chrono::steady_clock::time_point> stopsSent_;
};

}  // namespace cj::jobs

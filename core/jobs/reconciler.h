// Reconciling: bringing a running job's row up to date from its files and its backend, and
// recording ends. This is the one place a job's end is decided and written: from the
// supervisor's exit record, from what the backend says of a job without one (ended, or
// lost: orphaned), or from a launch that never finished.
//
// Thread-safety: every method may be called from any thread at once; the job index makes
// the end's write happen once (terminal states never change).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/disk_full.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"

namespace cj::jobs {

class Reconciler {
  public:
    Reconciler(JobIndex& index, BackendSet& backends, EventCache& events, JobDirs dirs)
        : index_(index), backends_(backends), events_(events), dirs_(std::move(dirs)) {}

    // The job's row as the index has it. NotFound for an unknown id, and for one that is not
    // a valid job id (never looked up, never used in a path).
    claude_jobs::Result<JobRecord> load(const std::string& id);

    // A running job's row brought up to date (cheaply: a look for exit.json, then the
    // backend's status()); any other job as it is. Errors only when the index fails.
    claude_jobs::Result<JobRecord> refresh(JobRecord job);

    // load() then refresh().
    claude_jobs::Result<JobRecord> current(const std::string& id);

    // Records the end (once: someone else's earlier record stands), frees what the backend
    // holds, and returns the row as it now is. `scanned` is the event summary when the
    // caller already read it. When another process holds the index, the end is written in
    // the background and, meanwhile, every read of the job in this process shows it (with
    // endPending set): no call waits for the lock.
    JobRecord record_end(const JobRecord& job, JobState state, std::optional<int> exitCode,
                         const std::string& reason, const ScanSnapshot* scanned = nullptr);

    // How long a call waits for an end to be written before going on without it.
    static constexpr std::chrono::milliseconds kEndWait{300};

  private:
    claude_jobs::Result<JobRecord> finalize_from_exit(const JobRecord& job,
                                                      const std::string& exitText);
    // The end this process decided but could not write yet, laid over the row.
    JobRecord with_pending_end(JobRecord row);
    void free_backend(const JobRecord& job);

    JobIndex& index_;
    BackendSet& backends_;
    EventCache& events_;
    JobDirs dirs_;
    std::mutex pendingMutex_;
    std::map<std::string, JobRecord> pendingEnds_;
    DiskWatch disk_{dirs_.root};  // says so when an end has to do with a full disk
};

}  // namespace cj::jobs

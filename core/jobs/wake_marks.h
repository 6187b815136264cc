// What the owner of a job already knows about its end, so that a wake-up goes to the owner
// once per end and not at all for an end it read itself (docs/notifications.md):
//   collected  the owner's claude_check or claude_wait showed the terminal state;
//   told       a wake path (the channel notification, the Stop hook) told the owner of it.
// Kept in the index (table wake_marks, migration 3), so every process on the state dir —
// the owner's server, its hooks, a second server — agrees; a claim is one transaction, so
// of several waiters exactly one tells.
//
// Thread-safety: any thread; the index serializes the writes.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/jobs/job_index.h"
#include "core/jobs/job_record.h"

namespace cj::jobs {

enum class WakePath { Channel, Hook };
const char* wake_path_name(WakePath path);

// Whether `reader` is the owner of a job `owner` started: the same server (or command-line)
// process, or the same host session when both know it.
bool same_owner(const JobOwner& reader, const JobOwner& owner);

class WakeMarks {
  public:
    explicit WakeMarks(JobIndex& index) : index_(index) {}

    // The owner read the job's terminal state: no wake-up for it from now on. Written in the
    // background: a read never waits for the index's write lock.
    void collected(const std::string& jobId);
    claude_jobs::Result<bool> is_collected(const std::string& jobId);

    // Claims the one wake-up of a job's end on `path`: true for the first claim, false when
    // the end was collected or already told on that path.
    claude_jobs::Result<bool> claim(const std::string& jobId, WakePath path);

    // Ids of ended jobs started in host session `session` that were neither collected nor
    // told on `path`, in the order they ended (at most `limit`).
    claude_jobs::Result<std::vector<std::string>> untold(const std::string& session, WakePath path,
                                                         int limit);

  private:
    JobIndex& index_;
};

}  // namespace cj::jobs

// Saying "no space left on device" when a job's end has to do with a full disk. A job killed
// by a full disk used to end orphaned ("supervisor vanished") with no word of the disk. Two
// witnesses now say it: the supervisor's exit record (noSpaceLeft, judged by the runner when
// claude exited), and the server's own look at the state dir's filesystem when it records a
// failed or orphaned end. Both judge "full" by the job folder contract's one rule
// (claude_jobs::job_folder::no_space_left).
//
// Thread-safety: DiskWatch may be used from any thread at once.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "core/jobs/job_record.h"

namespace cj::jobs {

inline constexpr char kNoSpaceText[] = "no space left on device";

// reason + "; no space left on device", unless it says so already.
std::string with_no_space_note(const std::string& reason);

// Whether an end in this state can be explained by a full disk: failed, timed out, orphaned.
bool may_be_for_want_of_space(JobState state);

// The server's look at the filesystem of one folder (the state dir's jobs/).
class DiskWatch {
  public:
    explicit DiskWatch(std::string folder) : folder_(std::move(folder)) {}

    // The reason of an end about to be recorded, with the note when the state fits and the
    // folder's filesystem has no space left now, or had when this job's end was first seen
    // here: recording the end may fail for want of space (the job index is on that disk) and
    // be retried once space returns, when the disk no longer looks full.
    std::string annotate(const std::string& jobId, JobState state, const std::string& reason);

    // The end is recorded (by this process or another): nothing to remember.
    void forget(const std::string& jobId);

  private:
    std::string folder_;
    std::mutex mutex_;
    std::set<std::string> seenFull_;
};

}  // namespace cj::jobs

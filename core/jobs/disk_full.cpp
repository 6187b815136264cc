// Noting a full disk in a job's reason (see disk_full.h).
#include "core/jobs/disk_full.h"

#include "claude_jobs/job_folder.h"

namespace cj::jobs {

std::string with_no_space_note(const std::string& reason) {
    if (reason.find(kNoSpaceText) != std::string::npos) return reason;
    return reason + (reason.empty() ? "" : "; ") + kNoSpaceText;
}

bool may_be_for_want_of_space(JobState state) {
    return state == JobState::Failed || state == JobState::TimedOut || state == JobState::Orphaned;
}

std::string DiskWatch::annotate(const std::string& jobId, JobState state,
                                const std::string& reason) {
    if (!may_be_for_want_of_space(state)) return reason;
    auto space = claude_jobs::job_folder::folder_space(folder_);
    bool fullNow = space && claude_jobs::job_folder::no_space_left(*space);
    std::lock_guard lock(mutex_);
    if (fullNow) seenFull_.insert(jobId);
    if (!seenFull_.count(jobId)) return reason;
    return with_no_space_note(reason) + " (in " + folder_ + ")";
}

void DiskWatch::forget(const std::string& jobId) {
    std::lock_guard lock(mutex_);
    seenFull_.erase(jobId);
}

}  // namespace cj::jobs

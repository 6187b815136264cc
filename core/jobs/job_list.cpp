#include "core/jobs/job_list.h"

namespace cj::jobs {

namespace {

// An end noticed while listing moves the job from one state's count to another's.
void move_count(std::vector<std::pair<JobState, std::int64_t>>& counts, JobState from,
                JobState to) {
    for (auto& [state, n] : counts)
        if (state == from) --n;
    for (auto& [state, n] : counts)
        if (state == to) {
            ++n;
            return;
        }
    counts.emplace_back(to, 1);
}

}  // namespace

claude_jobs::Result<JobList> JobLister::list(const ListFilter& filter) {
    auto listed = index_.list(filter);
    if (!listed) return listed.error();
    JobList out{std::move(listed->jobs), std::move(listed->counts), listed->nextBeforeSeq};
    for (auto& job : out.jobs) {
        if (job.state != JobState::Running) continue;
        if (auto fresh = reconciler_.refresh(job)) {
            if (fresh->state != job.state) move_count(out.counts, job.state, fresh->state);
            job = *fresh;
        }
    }
    return out;
}

}  // namespace cj::jobs

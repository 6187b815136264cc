// Listing jobs: a page of the index, newest first, with counts per state. Running jobs on
// the page are reconciled first, so an end noticed here is listed (and counted) as an end.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "claude_jobs/result.h"
#include "core/jobs/job_index.h"
#include "core/jobs/reconciler.h"

namespace cj::jobs {

struct JobList {
    std::vector<JobRecord> jobs;
    std::vector<std::pair<JobState, std::int64_t>> counts;  // per state, for the filter's label
    std::int64_t nextBeforeSeq = 0;                         // cursor for the next page; 0 = none
};

class JobLister {
  public:
    JobLister(JobIndex& index, Reconciler& reconciler) : index_(index), reconciler_(reconciler) {}
    claude_jobs::Result<JobList> list(const ListFilter& filter);

  private:
    JobIndex& index_;
    Reconciler& reconciler_;
};

}  // namespace cj::jobs

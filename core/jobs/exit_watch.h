// Noticing a job's end soon after its supervisor wrote the exit record, between housekeeping
// passes: the running jobs' exit.json files are looked at (a stat each) every kExitWatchSlice,
// and a pass is due as soon as one appears. Without it, an end waits for the next pass (up to
// 200 ms) before it is recorded — and before anyone is told (docs/notifications.md).
//
// Thread-safety: one thread (the housekeeping loop).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"

namespace cj::jobs {

constexpr std::chrono::milliseconds kExitWatchSlice{10};

class ExitWatch {
  public:
    ExitWatch(JobIndex& index, JobDirs dirs) : index_(index), dirs_(std::move(dirs)) {}
    // Reads which jobs run now and have no exit record yet (after each housekeeping pass).
    void refresh();
    // Whether one of them has an exit record: its end is ready to be recorded.
    bool any_exited() const;

  private:
    JobIndex& index_;
    JobDirs dirs_;
    std::vector<std::string> exitFiles_;
};

}  // namespace cj::jobs

// Housekeeping, run by one thread of the server: the pump (about every 200 ms) records jobs
// that ended, marks vanished ones orphaned, repeats due stops and launches queued jobs into
// free slots (FIFO); the sweep (at start, then hourly) frees what backends still hold for
// ended jobs and removes jobs past retention. The command line runs the sweep on demand (gc).
//
// Thread-safety: any thread, though the server calls it from one.
#pragma once

#include "core/config/config.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/job_control.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"
#include "core/jobs/launcher.h"
#include "core/jobs/reconciler.h"

namespace cj::jobs {

class Housekeeping {
  public:
    Housekeeping(const config::Config& config, JobIndex& index, BackendSet& backends,
                 Reconciler& reconciler, Launcher& launcher, StopRequests& stops,
                 EventCache& events, JobDirs dirs)
        : config_(config),
          index_(index),
          backends_(backends),
          reconciler_(reconciler),
          launcher_(launcher),
          stops_(stops),
          events_(events),
          dirs_(std::move(dirs)) {}

    void pump();
    // Frees what backends still hold (a container, a session) for ended jobs whose destroy()
    // never ran or failed, e.g. a server stopped between recording an end and freeing it.
    // Only jobs on backends this server has. Returns how many were freed.
    int release_held();
    // release_held(), then removes terminal jobs older than retentionDays (files and row).
    // Returns how many were removed.
    int sweep();

  private:
    const config::Config& config_;
    JobIndex& index_;
    BackendSet& backends_;
    Reconciler& reconciler_;
    Launcher& launcher_;
    StopRequests& stops_;
    EventCache& events_;
    JobDirs dirs_;
};

}  // namespace cj::jobs

#include "core/jobs/housekeeping.h"

#include <set>

#include <spdlog/spdlog.h>

#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/ids.h"

namespace cj::jobs {

namespace {
// Ended jobs whose backend still holds something, freed per sweep.
constexpr int kReleaseBatch = 100;
}  // namespace

void Housekeeping::pump() {
    auto active = index_.active();
    if (!active) {
        spdlog::warn("housekeeping: {}", active.error().message);
        return;
    }
    std::set<std::string> running;
    for (const auto& job : *active) {
        if (job.state != JobState::Running) continue;
        running.insert(job.id);
        if (job.cancelRequested && !job.handle.empty()) stops_.repeat_if_due(job);
        // Its launcher gone before launching it: launched here, from its durable plan.
        if (job.handle.empty() && launcher_.adopt_abandoned(job)) continue;
        reconciler_.refresh(job);
    }
    stops_.retain(running);
    launcher_.promote_queued();
}

int Housekeeping::release_held() {
    std::vector<std::string> usable;  // a server that has the others will free their jobs
    for (const auto& entry : backends_.entries())
        if (entry.backend) usable.push_back(entry.name);
    auto held = index_.held_after_end(usable, kReleaseBatch);
    if (!held) {
        spdlog::warn("release: {}", held.error().message);
        return 0;
    }
    int released = 0;
    for (const auto& job : *held) {
        if (auto attached = backends_.attach(job)) {
            if (auto freed = (*attached)->backend->destroy(job.id); !freed) {
                spdlog::warn("job {}: its backend could not free it: {}", job.id,
                             freed.error().message);
                continue;  // tried again at the next sweep
            }
            backends_.forget(job.id);
        }
        // Freed, or the backend cannot take the job back at all: nothing left to try.
        if (index_.release(job.id)) ++released;
    }
    if (released) spdlog::info("released what backends still held for {} ended jobs", released);
    return released;
}

int Housekeeping::sweep() {
    release_held();
    if (config_.retentionDays <= 0) return 0;
    std::int64_t cutoff = util::now_ms() - std::int64_t{config_.retentionDays} * 86400 * 1000;
    auto expired = index_.ended_before(cutoff);
    if (!expired) return 0;
    int removed = 0;
    for (const auto& id : *expired) {
        if (!util::is_valid_job_id(id)) continue;  // never build a path from a bad id
        if (auto r = util::remove_tree(dirs_.dir(id)); !r) {
            spdlog::warn("retention: {}", r.error().message);
            continue;
        }
        if (index_.remove(id)) ++removed;
        events_.forget(id);
    }
    if (removed)
        spdlog::info("retention: removed {} jobs older than {} days", removed,
                     config_.retentionDays);
    return removed;
}

}  // namespace cj::jobs

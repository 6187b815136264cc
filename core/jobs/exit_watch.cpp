#include "core/jobs/exit_watch.h"

#include <sys/stat.h>

namespace cj::jobs {

void ExitWatch::refresh() {
    auto active = index_.active();
    if (!active) return;  // keep watching what we had
    exitFiles_.clear();
    struct stat st {};
    for (const auto& job : *active) {
        if (job.state != JobState::Running) continue;
        std::string path = dirs_.file(job.id, job_files::kExit);
        // A record that is there already and still not recorded (a locked index, a full
        // disk) is the regular pass's to retry; only a new one makes a pass due early.
        if (::stat(path.c_str(), &st) != 0) exitFiles_.push_back(std::move(path));
    }
}

bool ExitWatch::any_exited() const {
    struct stat st {};
    for (const auto& path : exitFiles_)
        if (::stat(path.c_str(), &st) == 0) return true;
    return false;
}

}  // namespace cj::jobs

// Jobs as MCP tasks (docs/protocol.md, "Tasks"): the tools::Tasks provider over the job store.
// A task is a job — its id is the job's id — and a job belongs to this connection when this
// server process started it (its owner.instance), whether by a task-augmented call or by a
// plain claude_start. Another connection's job is PermissionDenied, anything that is not a
// job id NotFound.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/jobs/job_service.h"
#include "core/tools/task.h"

namespace cj::tools {

struct JobTaskOptions {
    // What tasks/get suggests between polls while a task works.
    std::chrono::milliseconds pollInterval{1000};
    // claude_cancel's default: SIGTERM, then SIGKILL after this long.
    int cancelGraceSec = 10;
};

// The retention a task reports as its ttl: the config's retentionDays in ms (a job is removed
// that long after its end, so at least that long after its creation); none when kept forever.
std::optional<std::int64_t> task_ttl_ms(const config::Config& config);

Tasks make_job_tasks(jobs::JobService& service, JobTaskOptions options = {});

}  // namespace cj::tools

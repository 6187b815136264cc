// Starting a job's supervisor (claude-jobs-runner) detached, at low priority, with limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <claude_jobs/result.h>

#include "settings.h"

namespace gentle {

// The supervisor as started: its pid and start time (/proc/<pid>/stat field 22), which
// together identify it (a pid alone is reused).
struct Launched {
    pid_t pid = 0;
    std::uint64_t startTime = 0;
};

// Runs program (absolute) with argv (argv[0] included) and exactly env, in a session of its
// own, stdio on /dev/null, no other descriptor, default signal handling, in "/", with the
// settings' niceness, I/O priority and resource limits — all inherited by the job it starts.
// It is not our child (a short-lived intermediate process exits at once), so it never
// becomes a zombie of the server and is reparented like any daemon.
// Returns once the program has been exec'd. Errors: Unavailable when it cannot be executed or
// a priority or limit cannot be applied (naming which and why), Internal when no process can
// be created.
claude_jobs::Result<Launched> launch_gently(const std::string& program,
                                            const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env,
                                            const Settings& settings);

}  // namespace gentle

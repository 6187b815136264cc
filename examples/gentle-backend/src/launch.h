// Starting a job's supervisor (claude-jobs-runner) detached, at low priority, with limits.
#pragma once

#include <string>
#include <vector>

#include <claude_jobs/result.h>

#include "process.h"
#include "settings.h"

namespace gentle {

// Runs program (absolute) with argv (argv[0] included) and exactly env, in a session of its
// own, stdio on /dev/null, no other descriptor, default signal handling, in "/", with the
// settings' niceness, I/O priority and resource limits — all inherited by the job it starts.
// It is not our child (a short-lived intermediate process exits at once), so it never
// becomes a zombie of the server and is reparented like any daemon.
// Returns once the program has been exec'd. Errors: Unavailable when it cannot be executed or
// a priority or limit cannot be applied (naming which and why), Internal when no process can
// be created.
claude_jobs::Result<ProcessIdentity> launch_gently(const std::string& program,
                                                   const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& env,
                                                   const Settings& settings);

}  // namespace gentle

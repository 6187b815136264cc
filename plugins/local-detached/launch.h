// Starting a job's supervisor fully detached from the server: its own session, stdio on
// /dev/null, no inherited descriptors, default signal handling, and not our child (so no
// zombie, and the server may exit or restart without affecting it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::local_detached {

struct Launched {
    pid_t pid = 0;
    std::uint64_t startTime = 0;  // /proc/<pid>/stat field 22, read by the process itself
};

// Runs program (an absolute path) with argv (argv[0] included) and exactly the environment env
// ("NAME=value"), after lowering its priority by niceness (0 = unchanged). Returns once the
// program has been exec'd, with its pid. Errors: Unavailable when the program cannot be
// executed (naming it and the reason), Internal when fork or the detaching steps fail.
claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env, int niceness);

}  // namespace cj::local_detached

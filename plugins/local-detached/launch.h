// Starting a job's supervisor detached from the server: its own session, stdio on /dev/null,
// no inherited descriptors, default signal handling, its working folder "/". It stays the
// server's child only in name: it outlives the server (and is then reparented), and the
// ChildReaper collects its exit status so no zombie is left while the server lives.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "common/spawn.h"

namespace cj::local_detached {

// The reaper collects a supervisor's exit status while the server lives (about once a
// second), so no zombie is left.
using ChildReaper = cj::plugin_common::ChildReaper;
constexpr std::chrono::seconds kReapInterval{1};

struct Launched {
    pid_t pid = 0;
    std::uint64_t startTime = 0;  // /proc/<pid>/stat field 22
};

// Runs argv[0] (the runner's absolute path) with argv and exactly the environment env
// ("NAME=value"). Returns once the program has been exec'd, with its pid, which `reaper`
// adopts. Errors: Unavailable when the program cannot be executed (naming it and the reason),
// Internal when the process cannot be created.
claude_jobs::Result<Launched> launch_detached(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              ChildReaper& reaper);

}  // namespace cj::local_detached

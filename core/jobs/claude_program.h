// Whether the claude a job would run can be found and started, asked when a start is
// accepted (and by the selftest), so that a missing or broken claude is refused at once with
// the fix instead of showing up later as a failed job. "Started" is checked without running
// anything: the program resolves on the job's PATH to an executable file, and a script's
// interpreter (`#!/usr/bin/env node` for the npm install) resolves too — an MCP client that
// starts the server with a minimal PATH finds claude but not node.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::jobs {

// The absolute path claude resolves to, or Unavailable with what is wrong and how to fix it.
// program: config claude.path (a name looked up on PATH, or a path); env: the job's
// environment ("NAME=value"), whose PATH is the one the supervisor will search.
claude_jobs::Result<std::string> find_runnable_claude(const std::string& program,
                                                      const std::vector<std::string>& env);

// Whether jobs of this plugin run the host's claude (the container backend runs the one in
// its image, which the host cannot check).
bool runs_host_claude(const std::string& plugin);

}  // namespace cj::jobs

// The container backend's settings: the backend's object from the config file, checked once
// in configure(). Every key is optional; docs/backends/container.md describes each.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::container {

struct Mount {
    std::string source;  // absolute host path
    std::string target;  // absolute path in the container (default: source)
    bool writable = false;
};

struct Settings {
    std::string runtime = "auto";  // "docker", "podman", "auto", or a path to either
    std::string image = "claude-jobs/claude:latest";
    std::string claudePath = "claude";  // claude inside the image
    std::string network;                // empty: the runtime's default
    std::string cpus;                   // empty: no limit
    std::string memory;                 // empty: no limit
    std::string user;                   // empty: the server's uid:gid
    std::vector<Mount> mounts;
    // Names (or NAME_* prefixes) of the job's environment passed into the container.
    std::vector<std::string> env = {"ANTHROPIC_*", "CLAUDE_CODE_*", "CLAUDE_JOBS_JOB_ID",
                                    "CLAUDE_JOBS_DEPTH"};
    bool mountClaudeConfig = false;
    std::vector<std::string> runtimeArgs;  // before the image in `run`
};

// Parses and checks settings JSON ("{}" or empty = all defaults). Unknown keys and bad values
// are InvalidArgument naming the key.
claude_jobs::Result<Settings> parse_settings(const std::string& configJson);

// Whether NAME is selected by the patterns of Settings::env.
bool env_name_selected(const std::vector<std::string>& patterns, const std::string& name);

}  // namespace cj::container

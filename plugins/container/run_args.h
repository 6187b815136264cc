// The runtime's command lines, built as argument vectors from validated pieces: `run` for a
// job, and the names and labels that tie a container to its job.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "claude_jobs/types.h"
#include "settings.h"

namespace cj::container {

// Where the host's claude-jobs-runner appears inside every job's container (read-only).
inline constexpr char kRunnerInContainer[] = "/opt/claude-jobs/claude-jobs-runner";
inline constexpr char kJobLabel[] = "claude-jobs.job";
inline constexpr char kInstanceLabel[] = "claude-jobs.instance";

// The container's name for a job (its id is already validated: [A-Za-z0-9._-], 64 at most).
std::string container_name(const std::string& jobId);

struct RunInputs {
    std::string runtime;     // absolute path of docker or podman
    std::string instance;    // HostContext::instanceName
    std::string runnerPath;  // the host's claude-jobs-runner
    std::string user;        // "uid:gid" the job runs as
    std::string envFile;     // the 0600 file with the job's selected variables
    // mountClaudeConfig: the user's ~/.claude and ~/.claude.json, those that exist
    std::vector<std::string> claudeConfig;
    // git_folders_for(workFolder): mounted writable at their own paths, so git works inside
    std::vector<std::string> gitFolders;
    bool keepUserNamespace = false;  // rootless podman: --userns=keep-id
};

// `run -d ...` for the job. InvalidArgument when a path cannot be expressed as a mount.
claude_jobs::Result<std::vector<std::string>> build_run_argv(const Settings& settings,
                                                             const claude_jobs::JobSpec& spec,
                                                             const RunInputs& in);

// The arguments of one bind mount: --mount when the paths allow it, else --volume.
claude_jobs::Result<std::vector<std::string>> mount_args(const std::string& source,
                                                         const std::string& target, bool writable);

// The lines of the --env-file: the job's variables selected by `patterns`, plus IS_SANDBOX=1
// (a container is a sandbox; the real CLI refuses bypassPermissions as root without it).
// InvalidArgument when a selected value holds a line break (an env file cannot carry it).
claude_jobs::Result<std::string> env_file_text(const std::vector<std::string>& patterns,
                                               const std::vector<std::string>& env,
                                               const std::vector<std::string>& extra);

}  // namespace cj::container

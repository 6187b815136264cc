// What the container backend writes on the host for a job before and while its container
// runs: the env file handed to `run` and the job folder handed to the container's user (the
// cancel request is plugins/common's). Every open refuses to follow a link.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::container {

struct UserIds {
    uid_t uid;
    gid_t gid;
};

// "uid" or "uid:gid" (settings only allow digits); a bare uid runs with gid = uid.
UserIds parse_user(const std::string& user);

// The job folder is created 0700 by and for the server. When the job runs as another user
// (only root can hand it over), that user gets the folder and what is in it, so the
// supervisor in the container can write its records there; the server, as root, still reads
// them. Folder and files are opened without following links.
claude_jobs::Result<void> hand_job_dir_to(const std::string& jobDir, const UserIds& ids);

// What git inside the container needs besides the work folder, to be mounted at the same
// paths: for a work folder in a git worktree (a job with isolation "worktree"), the
// worktree's top folder when the work folder is below it, and the repository's git folder that
// the worktree's `.git` file points into; for a work folder below a repository's top level,
// that repository's `.git`. Empty outside git, or when the work folder holds everything.
std::vector<std::string> git_folders_for(const std::string& workFolder);

// The job's variables for the container go through a file only the server's user can read,
// never the command line; it lives next to the jobs, not in the (mounted) job folder, and
// is removed as soon as `run` has read it.
class EnvFile {
  public:
    EnvFile() = default;
    ~EnvFile();
    EnvFile(const EnvFile&) = delete;
    EnvFile& operator=(const EnvFile&) = delete;

    // Writes <stateDir>/container-env/<jobId>.env (0600, in a 0700 folder of the server's user).
    claude_jobs::Result<void> write(const std::string& stateDir, const std::string& jobId,
                                    const std::string& text);
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace cj::container

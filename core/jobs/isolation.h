// Isolation: where a job works. `none` runs it in the work folder itself; `worktree` gives it
// a git worktree of its own on the new branch claude-jobs/<jobId>, from the work folder's
// HEAD (and, with includeUncommitted, with the folder's staged, unstaged and untracked changes
// carried over); `copy` gives it a copy of the folder (reflinked where the filesystem can),
// for folders that are not git repositories. prepare() sets this up before the job's row is
// recorded and keeps what it did as <job>/isolation.json; the launcher runs the job in
// runFolder, and the change record (changes.h) starts from startTree.
//
// A snapshot is the tree of a folder's whole state (committed, staged, unstaged, untracked,
// minus ignored files), written with a temporary index: the repository gains objects, never a
// ref or a change to its own index.
//
// Thread-safety: any thread; different jobs share nothing.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/jobs/git.h"
#include "core/jobs/job_dirs.h"

namespace cj::jobs {

enum class IsolationMode { None, Worktree, Copy };

const char* isolation_name(IsolationMode mode);
std::optional<IsolationMode> parse_isolation(const std::string& name);

// A repository as git commands see it: a folder, or (a copy job) a private git dir over a
// work tree.
struct GitRepo {
    std::string dir;     // -C
    std::string gitDir;  // "" = found from dir; else --git-dir (with --work-tree=dir)
    std::vector<std::string> args(std::vector<std::string> rest) const;
};

// What prepare() set up for one job.
struct IsolationRecord {
    IsolationMode mode = IsolationMode::None;
    std::string jobId;
    std::string original;    // the work folder the job was started for
    std::string repoRoot;    // the original's repository top level ("" = not in git)
    std::string subdir;      // the work folder under repoRoot ("" = the top level)
    std::string checkout;    // the worktree or copy ("" for none)
    std::string runFolder;   // where the job runs
    std::string branch;      // worktree: claude-jobs/<jobId>
    std::string gitDir;      // copy: the private git dir that tracks the copy
    std::string baseCommit;  // the original's HEAD at the start ("" when not in git)
    std::string startTree;   // what the job started from
    std::string originalTree;  // the original's snapshot at the start ("" for none)
    bool includeUncommitted = false;

    // The repository the job's changes are read from.
    GitRepo job_repo() const;
    nlohmann::json to_json() const;
    static std::optional<IsolationRecord> from_json(const nlohmann::json& j);
};

inline constexpr const char* kIsolationFile = "isolation.json";

class Isolation {
  public:
    // stateDir: the checkouts go to <stateDir>/worktrees/<jobId>.
    Isolation(std::string stateDir, JobDirs dirs, git::Git git = git::Git());

    // Sets up the job's folder (the job folder must exist) and writes isolation.json.
    // `none` outside git writes nothing and returns a record with runFolder = workFolder.
    // InvalidArgument: worktree outside a git repository (the message names `copy`), a
    // repository without a commit, a job id that cannot name a branch; Unavailable: git failed.
    claude_jobs::Result<IsolationRecord> prepare(const std::string& jobId,
                                                 const std::string& workFolder,
                                                 IsolationMode mode, bool includeUncommitted);

    // The job's record, if it has one.
    std::optional<IsolationRecord> load(const std::string& jobId) const;
    claude_jobs::Result<void> save(const IsolationRecord& record) const;

    // Removes the worktree or copy; the branch too unless keepBranch. Idempotent.
    claude_jobs::Result<void> remove_checkout(const IsolationRecord& record, bool keepBranch);

    // The tree of the folder's whole state now (see above); scratch: a folder for the
    // temporary index.
    claude_jobs::Result<std::string> snapshot(const GitRepo& repo, const std::string& scratch,
                                              const std::string& baseIndex) const;

    const git::Git& git() const { return git_; }
    const JobDirs& dirs() const { return dirs_; }
    std::string checkouts_root() const { return stateDir_ + "/worktrees"; }

  private:
    claude_jobs::Result<void> locate(IsolationRecord& r);
    claude_jobs::Result<void> add_worktree(IsolationRecord& r);
    claude_jobs::Result<void> carry_uncommitted(IsolationRecord& r, const std::string& originalIndex);
    claude_jobs::Result<void> make_copy(IsolationRecord& r);
    claude_jobs::Result<std::string> checkout_path(const std::string& jobId);

    std::string stateDir_;
    JobDirs dirs_;
    git::Git git_;
};

}  // namespace cj::jobs

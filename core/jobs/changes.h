// The change record: what a job in a git repository changed, written once when it has ended —
// base commit, the commits it made, the files with insertions and deletions, changes.patch in
// the job folder (everything, committed or not, binary-safe), and whether the original work
// folder changed meanwhile (with the files both touched). Delivery: apply the patch or merge
// the branch into the original (a dry run first on request, a conflict reported file by file,
// nothing half-applied), discard the checkout, and the retention of checkouts.
//
// Thread-safety: any thread, any process: a job's record, delivery and discard take a lock
// file in its job folder, so of several processes noticing an end one records it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/jobs/isolation.h"

namespace cj::jobs {

struct FileChange {
    std::string path;  // from the repository's top level (a copy job: from the work folder)
    std::int64_t insertions = 0;
    std::int64_t deletions = 0;
    bool binary = false;
};

struct JobCommit {
    std::string commit;
    std::string subject;
};

// What the delivery did so far.
enum class Delivery { Pending, Applied, Merged, Discarded, Nothing };
const char* delivery_name(Delivery d);

struct ChangeRecord {
    IsolationMode isolation = IsolationMode::None;
    std::string workFolder;     // the original
    std::string baseCommit;
    std::string branch;         // worktree jobs
    std::string checkout;       // the worktree or copy, while it is kept
    std::vector<JobCommit> commits;  // the job's own, oldest first
    std::string leftoverCommit;  // a worktree job's uncommitted changes, committed at its end
    std::vector<FileChange> files;
    std::string patchFile;  // <job>/changes.patch
    std::int64_t patchBytes = 0;
    bool originalChangedDuringRun = false;
    std::vector<std::string> overlapping;  // files changed both by the job and in the original
    std::string applyCommand;   // the exact git command that applies the patch
    std::string mergeCommand;   // worktree jobs with commits on the branch
    Delivery delivery = Delivery::Pending;
    std::int64_t recordedAt = 0;

    bool unapplied() const { return delivery == Delivery::Pending; }
    // One line for the transcript's tail: "changes: 3 files (+10 -2), 1 commit; …".
    std::string summary() const;
    nlohmann::json to_json() const;
    static std::optional<ChangeRecord> from_json(const nlohmann::json& j);
};

enum class ApplyMode { Patch, Merge };

struct ApplyConflict {
    std::string path;
    std::string reason;
};

struct ApplyOutcome {
    bool applied = false;  // false on a dry run, or when it conflicts
    bool check = false;
    std::vector<ApplyConflict> conflicts;
    std::string message;
    std::string command;  // what was (or would be) run
};

inline constexpr const char* kChangesFile = "changes.json";
inline constexpr const char* kChangesPatch = "changes.patch";

class ChangeRecorder {
  public:
    explicit ChangeRecorder(Isolation& isolation) : isolation_(isolation) {}

    // The record of an ended job, written on the first call; nullopt for a job outside git
    // (no isolation record). The caller says the job has ended.
    claude_jobs::Result<std::optional<ChangeRecord>> record(const std::string& jobId);
    // The record if it was written.
    std::optional<ChangeRecord> load(const std::string& jobId) const;

    // InvalidArgument: nothing to apply (a job that ran in the folder itself, merge without a
    // branch); the conflicts are in the outcome, not an error.
    claude_jobs::Result<ApplyOutcome> apply(const std::string& jobId, ApplyMode mode, bool check);
    // Removes the worktree (and its branch) or copy.
    claude_jobs::Result<ChangeRecord> discard(const std::string& jobId);
    // Removes the checkout of a job that ended at endedAt if it is older than keepDays; keeps
    // a branch with commits the original does not have unless delivered or discarded, and
    // says so (returned message). Returns whether it removed something.
    bool expire(const std::string& jobId, std::int64_t endedAt, int keepDays, std::string& note);

  private:
    claude_jobs::Result<ChangeRecord> compute(const IsolationRecord& iso);
    claude_jobs::Result<void> save(const std::string& jobId, const ChangeRecord& record) const;
    claude_jobs::Result<void> commit_leftovers(const IsolationRecord& iso,
                                               const std::string& endTree, ChangeRecord& rec);
    claude_jobs::Result<void> compare_original(const IsolationRecord& iso, ChangeRecord& rec);
    claude_jobs::Result<ApplyOutcome> apply_patch(const IsolationRecord& iso,
                                                  const ChangeRecord& rec, bool check);
    claude_jobs::Result<ApplyOutcome> merge_branch(const IsolationRecord& iso,
                                                   const ChangeRecord& rec, bool check);

    Isolation& isolation_;
};

}  // namespace cj::jobs

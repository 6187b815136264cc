// The job view: what a client is told about one job (SPEC §4), as typed data. It is built
// here from the job's row and files — the event summary, the interactive state, a bounded
// window of the transcript, the stderr tail — and rendered to JSON next to its schema in
// tools/job_view_json.cpp, so a field is added in one folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/jobs/backend_set.h"
#include "core/jobs/changes.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/interactive_state.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_record.h"
#include "core/jobs/resume_entry.h"
#include "core/transcript/events.h"

namespace cj::jobs {

struct ViewOptions {
    std::size_t tailBytes = 8000;
    std::optional<std::uint64_t> sinceOffset;
    // result.text longer than this is cut (and result.truncated says so); 0 = max(tailBytes, 16
    // KiB)
    std::size_t resultBytes = 0;
    // The final answer is read in result.text only: the transcript leaves out its copy and the
    // closing "[done: …]" line, activity.lastText is empty (what a model reads; a person's
    // `claude-jobs logs` keeps the whole transcript).
    bool answerOnce = true;
    // With answerOnce, a job whose result holds the whole final answer gets a tail of at most
    // this many bytes (what led up to the answer); 0 = tailBytes.
    std::size_t answeredTailBytes = 0;
};

struct ResultView {
    transcript::ResultSummary summary;  // text already cut, permissionDenials already capped
    bool truncated = false;
    std::optional<std::size_t> textBytes;  // the whole text's size, when the text was cut
};

struct JobView {
    JobRecord job;  // id, state, reason, exit code, backend, folder, label, times
    std::int64_t elapsedMs = 0;
    std::optional<ResultView> result;
    std::string sessionId;
    transcript::Activity activity;
    // An interactive job's state (its backend keeps interactive.jsonl); the whole last answer
    // replaces activity.lastText.
    std::optional<InteractiveState> interactive;
    std::string output;  // the readable transcript's tail, or what is new since sinceOffset
    std::uint64_t nextOffset = 0;
    std::string stderrTail;
    std::string attach;   // the command a person runs to watch it, when the backend has one
    std::string message;  // a note about the call (cancel: "already ended", "still stopping")
    // An ended job's change record (a job in a git repository, or with isolation "copy").
    std::optional<ChangeRecord> changes;
    std::string resumeOf;  // the rate-limited job this one resumes (docs/limits.md)
    std::optional<ResumeEntry> resume;  // this job's own resume after a usage limit
};

// Thread-safe (it only reads files and asks the event cache and the backends).
class ViewBuilder {
  public:
    // changes: records an ended job's changes for its view (nullptr: views carry none).
    ViewBuilder(EventCache& events, const BackendSet& backends, JobDirs dirs,
                ChangeRecorder* changes = nullptr)
        : events_(events), backends_(backends), dirs_(std::move(dirs)), changes_(changes) {}

    JobView build(const JobRecord& job, const ViewOptions& options) const;

  private:
    std::optional<ResultView> result_of(const JobRecord& job, const ScanSnapshot& snap,
                                        const ViewOptions& options) const;
    void read_transcript(const std::string& id, const ViewOptions& options, JobView& view) const;
    void add_changes(const ViewOptions& options, JobView& view) const;

    EventCache& events_;
    const BackendSet& backends_;
    JobDirs dirs_;
    ChangeRecorder* changes_;
};

}  // namespace cj::jobs

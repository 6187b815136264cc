// Where the core finds a job's files: <stateDir>/jobs/<id>/<name>. The file names are the
// job-folder contract (claude_jobs/job_folder.h) shared with the supervisor and every backend.
#pragma once

#include <cstddef>
#include <string>

#include "claude_jobs/job_folder.h"

namespace cj::jobs {

// The names inside a job folder (SPEC §3.4), as the core spells them.
namespace job_files {
inline constexpr const char* kPrompt = claude_jobs::job_folder::kPromptFile;
inline constexpr const char* kEvents = claude_jobs::job_folder::kEventsFile;
inline constexpr const char* kStderr = claude_jobs::job_folder::kStderrFile;
inline constexpr const char* kExit = claude_jobs::job_folder::kExitFile;
inline constexpr const char* kInteractive = claude_jobs::job_folder::kInteractiveFile;
// Written and read by the core alone (a cache of what events.jsonl says; event_summary.h).
inline constexpr const char* kEventSummary = "events.summary.json";
}  // namespace job_files

// Plain value, cheap to copy; never builds a path from an id that was not validated first
// (every id reaching it came from the job index or util::is_valid_job_id).
struct JobDirs {
    std::string root;  // <stateDir>/jobs

    std::string dir(const std::string& id) const { return root + "/" + id; }
    std::string file(const std::string& id, const char* name) const { return dir(id) + "/" + name; }
};

// The last maxBytes of a job's stderr.log, cut at a character boundary ("" when none).
std::string read_stderr_tail(const JobDirs& dirs, const std::string& id, std::size_t maxBytes);

}  // namespace cj::jobs

// The event summary kept next to a job's log (events.summary.json): where the last reader's
// scan of events.jsonl stopped and what it had found by then, so that a process that has
// never read the job goes on from there instead of reading the whole log again.
//
// A summary is a cache, never the truth: one is used only while it still describes the log
// it was written for — the same file (device and inode), at least as long as the offset it
// covers, and the same bytes just before that offset. Anything else (missing, unreadable,
// damaged, another log in its place) is ignored and the log is read from its start.
//
// Thread-safety: free functions over files; two writers (threads or processes) may race, and
// either one's summary wins whole (write, then rename).
#pragma once

#include <optional>
#include <string>

#include "core/jobs/job_dirs.h"
#include "core/transcript/events.h"

namespace cj::jobs::event_summary {

// The summary of job `id`, when it still matches its log; the result is read back from the
// log (the summary holds only where its line is).
std::optional<transcript::ScanCheckpoint> load(const JobDirs& dirs, const std::string& id);

// Writes the summary of job `id` for its log as it is now. Best effort: a summary that
// cannot be written only costs the next new reader a full scan.
void save(const JobDirs& dirs, const std::string& id, const transcript::ScanCheckpoint& at);

}  // namespace cj::jobs::event_summary

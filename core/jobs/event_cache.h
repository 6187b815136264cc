// The event cache: what each job's event log (events.jsonl) says so far — activity, session,
// final result — kept per job in memory and brought up to date by reading only the bytes
// added since the last look. Every reader of a job's summary goes through it.
//
// Thread-safety: all methods may be called from any thread. Jobs are scanned independently
// (a lock per job); the map itself has a short-held lock of its own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/jobs/job_dirs.h"
#include "core/transcript/events.h"

namespace cj::jobs {

struct ScanSnapshot {
    transcript::Activity activity;
    std::string sessionId;
    std::optional<transcript::ResultSummary> result;
};

class EventCache {
  public:
    explicit EventCache(JobDirs dirs) : dirs_(std::move(dirs)) {}

    // Feeds what the log gained since the last scan of this job, then answers. A log that
    // shrank (replaced) is read again from the start. At most kMaxJobs jobs are remembered;
    // the least recently read is forgotten first.
    ScanSnapshot scan(const std::string& id);
    // Drops what is remembered of a job (its files are being removed).
    void forget(const std::string& id);

    static constexpr std::size_t kMaxJobs = 2000;

  private:
    struct Entry {
        std::mutex mutex;
        transcript::EventScanner scanner;
        std::uint64_t fed = 0;
        std::uint64_t lastUsed = 0;  // clock_ at the last read, under mutex_
    };
    std::shared_ptr<Entry> entry(const std::string& id);

    JobDirs dirs_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
    std::uint64_t clock_ = 0;
};

}  // namespace cj::jobs

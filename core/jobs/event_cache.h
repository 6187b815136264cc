// The event cache: what each job's event log (events.jsonl) says so far — activity, session,
// final result — kept per job in memory and brought up to date by reading only the bytes
// added since the last look. Every reader of a job's summary goes through it.
//
// What it has read is also kept next to the log (event_summary.h), so a process that has not
// read a job before goes on from where another stopped rather than reading a big log again.
//
// Thread-safety: all methods may be called from any thread. No lock is held while a log is
// read: a reader takes the job's scanner out, feeds it and puts it back. A second reader of
// the same job meanwhile goes on from the furthest line boundary reached so far (published
// after each piece read) instead of waiting for the first.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
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
    // How the log's bytes are read: util::read_range unless a test says otherwise.
    using ReadRange = std::function<claude_jobs::Result<std::string>(
        const std::string& path, std::uint64_t offset, std::size_t length)>;

    explicit EventCache(JobDirs dirs, ReadRange read = {});

    // Feeds what the log gained since the last scan of this job, then answers. A log that
    // shrank (replaced) is read again from the start. At most kMaxJobs jobs are remembered;
    // the least recently read is forgotten first.
    ScanSnapshot scan(const std::string& id);
    // Drops what is remembered of a job (its files are being removed).
    void forget(const std::string& id);

    // Bytes of event logs this cache has read, for tests and the debug log.
    std::uint64_t bytes_read() const { return bytesRead_.load(); }

    static constexpr std::size_t kMaxJobs = 2000;
    // Logs shorter than this are not worth a summary on disk.
    static constexpr std::uint64_t kSummaryFrom = 1 << 20;
    // During a long scan, the summary on disk is brought up to date at least this often.
    static constexpr std::uint64_t kSummaryEvery = 16 << 20;

  private:
    struct Entry {
        std::mutex mutex;  // guards the fields below; never held while a log is read
        std::optional<transcript::EventScanner> scanner;  // empty while a reader has it out
        std::uint64_t fed = 0;                            // bytes the scanner has been fed
        transcript::ScanCheckpoint latest;  // the furthest line boundary any reader reached
        std::uint64_t saved = 0;            // the offset of the summary on disk
        std::uint64_t lastUsed = 0;         // clock_ at the last read, under mutex_
    };
    // A scanner taken out of an entry, and how far it has read.
    struct Work {
        transcript::EventScanner scanner;
        std::uint64_t fed = 0;
    };
    std::shared_ptr<Entry> entry(const std::string& id);
    Work take(Entry& e);
    void put_back(Entry& e, Work work);
    Work start_over(Entry& e, const std::string& id);
    void feed(const std::string& id, Entry& e, Work& work, std::uint64_t size);
    // Publishes the work's checkpoint; writes the summary when `final` or far enough ahead.
    void publish(const std::string& id, Entry& e, const Work& work, bool final);

    JobDirs dirs_;
    ReadRange read_;
    std::atomic<std::uint64_t> bytesRead_{0};
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
    std::uint64_t clock_ = 0;
};

}  // namespace cj::jobs

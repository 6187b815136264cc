#include "core/jobs/event_cache.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/jobs/event_summary.h"
#include "core/util/files.h"

namespace cj::jobs {

namespace {
// Read in pieces, so a huge new stretch of log never needs one huge buffer.
constexpr std::uint64_t kScanChunk = 4 << 20;
}  // namespace

EventCache::EventCache(JobDirs dirs, ReadRange read)
    : dirs_(std::move(dirs)), read_(read ? std::move(read) : ReadRange(util::read_range)) {}

std::shared_ptr<EventCache::Entry> EventCache::entry(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = entries_.find(id);
    if (found == entries_.end()) {
        if (entries_.size() >= kMaxJobs) {
            auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
                return a.second->lastUsed < b.second->lastUsed;
            });
            entries_.erase(oldest);
        }
        found = entries_.emplace(id, std::make_shared<Entry>()).first;
    }
    found->second->lastUsed = ++clock_;
    return found->second;
}

EventCache::Work EventCache::take(Entry& e) {
    std::lock_guard<std::mutex> lock(e.mutex);
    if (!e.scanner)  // another reader has it: go on from the furthest point reached
        return Work{transcript::EventScanner(e.latest), e.latest.offset};
    Work work{std::move(*e.scanner), e.fed};
    e.scanner.reset();
    return work;
}

void EventCache::put_back(Entry& e, Work work) {
    std::lock_guard<std::mutex> lock(e.mutex);
    if (e.scanner && e.fed > work.fed) return;  // a reader that got further put its own back
    e.scanner = std::move(work.scanner);
    e.fed = work.fed;
}

EventCache::Work EventCache::start_over(Entry& e, const std::string& id) {
    {
        std::lock_guard<std::mutex> lock(e.mutex);
        e.latest = transcript::ScanCheckpoint();
        e.saved = 0;
    }
    Work work;
    // The summary on disk, when it matches the log (it never does a replaced one).
    if (auto at = event_summary::load(dirs_, id)) {
        work.fed = at->offset;
        std::lock_guard<std::mutex> lock(e.mutex);
        e.saved = std::max(e.saved, at->offset);
        work.scanner = transcript::EventScanner(std::move(*at));
    }
    return work;
}

void EventCache::feed(const std::string& id, Entry& e, Work& work, std::uint64_t size) {
    std::string path = dirs_.file(id, job_files::kEvents);
    std::uint64_t from = work.fed;
    while (work.fed < size) {
        auto chunk =
            read_(path, work.fed, static_cast<std::size_t>(std::min(kScanChunk, size - work.fed)));
        if (!chunk || chunk->empty()) break;
        work.scanner.feed(*chunk);
        work.fed += chunk->size();
        bytesRead_ += chunk->size();
        publish(id, e, work, false);
    }
    if (work.fed > from)
        spdlog::debug("job {}: read {} bytes of its event log (bytes {} to {})", id,
                      work.fed - from, from, work.fed);
}

void EventCache::publish(const std::string& id, Entry& e, const Work& work, bool final) {
    transcript::ScanCheckpoint at = work.scanner.checkpoint();
    bool save = false;
    {
        std::lock_guard<std::mutex> lock(e.mutex);
        if (at.offset > e.latest.offset) e.latest = at;
        save = at.offset >= kSummaryFrom && at.offset > e.saved &&
               (final || at.offset - e.saved >= kSummaryEvery);
        if (save) e.saved = at.offset;
    }
    if (save) event_summary::save(dirs_, id, at);
}

ScanSnapshot EventCache::scan(const std::string& id) {
    std::shared_ptr<Entry> e = entry(id);
    Work work = take(*e);
    auto size = util::file_size(dirs_.file(id, job_files::kEvents)).value_or(0);
    // Nothing read yet (a job new to this process), or the log shrank (it was replaced).
    if (work.fed == 0 || size < work.fed) work = start_over(*e, id);
    feed(id, *e, work, size);
    publish(id, *e, work, true);
    ScanSnapshot snap{work.scanner.activity(), work.scanner.sessionId(), work.scanner.result()};
    put_back(*e, std::move(work));
    return snap;
}

void EventCache::forget(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(id);
}

}  // namespace cj::jobs

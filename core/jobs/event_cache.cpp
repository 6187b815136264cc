#include "core/jobs/event_cache.h"

#include <algorithm>

#include "core/util/files.h"

namespace cj::jobs {

namespace {
// Read in pieces, so a huge new stretch of log never needs one huge buffer.
constexpr std::uint64_t kScanChunk = 4 << 20;
}  // namespace

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

ScanSnapshot EventCache::scan(const std::string& id) {
    std::shared_ptr<Entry> state = entry(id);
    std::lock_guard<std::mutex> lock(state->mutex);
    std::string path = dirs_.file(id, job_files::kEvents);
    auto size = util::file_size(path).value_or(0);
    if (size < state->fed) {  // the file was replaced: start over
        state->scanner = transcript::EventScanner();
        state->fed = 0;
    }
    while (state->fed < size) {
        auto chunk = util::read_range(
            path, state->fed, static_cast<std::size_t>(std::min(kScanChunk, size - state->fed)));
        if (!chunk || chunk->empty()) break;
        state->scanner.feed(*chunk);
        state->fed += chunk->size();
    }
    return ScanSnapshot{state->scanner.activity(), state->scanner.sessionId(),
                        state->scanner.result()};
}

void EventCache::forget(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(id);
}

}  // namespace cj::jobs

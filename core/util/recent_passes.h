// Checks that passed a moment ago, so a burst of starts asks once: a key that passed less
// than `trust` ago passes again without asking (with the value it passed with); a failure is
// never remembered, so the next call asks again and says what is wrong now. Used for what a
// start checks of the machine — the backend's health, the claude program's path — which
// costs dozens of system calls each time and rarely changes (docs/performance.md).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace cj::util {

class RecentPasses {
  public:
    using Clock = std::chrono::steady_clock;
    explicit RecentPasses(Clock::duration trust) : trust_(trust) {}

    // The value `key` last passed with, if that was less than `trust` ago.
    std::optional<std::string> recent(const std::string& key) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = passes_.find(key);
        if (it == passes_.end() || Clock::now() - it->second.first >= trust_) return std::nullopt;
        return it->second.second;
    }
    void passed(const std::string& key, std::string value = {}) {
        std::lock_guard<std::mutex> lock(mutex_);
        passes_[key] = {Clock::now(), std::move(value)};
    }

  private:
    Clock::duration trust_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::pair<Clock::time_point, std::string>> passes_;
};

}  // namespace cj::util

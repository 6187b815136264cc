#include "core/jobs/transition_feed.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace cj::jobs {

namespace {
constexpr int kBatch = 200;
}  // namespace

TransitionFeed::TransitionFeed(JobIndex& index) : index_(index) {
    if (auto last = index_.last_transition()) seen_ = *last;
    thread_ = std::thread([this] { loop(); });
}

TransitionFeed::~TransitionFeed() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

int TransitionFeed::subscribe(Callback callback) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (subscribers_.empty())  // from now on, not from whatever was logged while nobody followed
        if (auto last = index_.last_transition()) seen_ = *last;
    int id = nextId_++;
    subscribers_.emplace(id, std::move(callback));
    wake_.notify_all();
    return id;
}

void TransitionFeed::unsubscribe(int id) {
    std::lock_guard<std::mutex> lock(mutex_);
    subscribers_.erase(id);
}

void TransitionFeed::nudge() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        nudged_ = true;
    }
    wake_.notify_all();
}

void TransitionFeed::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (subscribers_.empty()) {
            wake_.wait(lock, [this] { return stopping_ || !subscribers_.empty(); });
            continue;
        }
        wake_.wait_for(lock, kPoll, [this] { return stopping_ || nudged_; });
        if (stopping_) break;
        nudged_ = false;
        std::int64_t after = seen_;
        lock.unlock();
        auto batch = index_.transitions_after(after, kBatch);
        lock.lock();
        if (!batch) {
            spdlog::debug("transitions: {}", batch.error().message);
            continue;
        }
        for (const auto& t : *batch) {
            if (t.seq <= seen_) continue;  // a subscribe() restarted from "now" meanwhile
            seen_ = t.seq;
            // Callbacks run under the lock so none runs after unsubscribe() returns.
            for (auto& [id, callback] : subscribers_) callback(t);
        }
        if (batch->size() == static_cast<std::size_t>(kBatch)) nudged_ = true;  // more waiting
    }
}

}  // namespace cj::jobs

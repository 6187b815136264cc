#include "core/jobs/change_follower.h"

#include <spdlog/spdlog.h>

namespace cj::jobs {

ChangeFollower::ChangeFollower(TransitionFeed& feed, ChangeRecorder& recorder)
    : feed_(feed), recorder_(recorder), thread_([this] { loop(); }) {
    subscription_ = feed_.subscribe([this](const Transition& t) {
        if (!is_terminal(t.to)) return;
        std::lock_guard lock(mutex_);
        ended_.push_back(t.jobId);
        wake_.notify_one();
    });
}

ChangeFollower::~ChangeFollower() {
    feed_.unsubscribe(subscription_);
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        wake_.notify_one();
    }
    thread_.join();
}

void ChangeFollower::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !ended_.empty(); });
        if (stopping_) return;
        std::string id = std::move(ended_.front());
        ended_.pop_front();
        lock.unlock();
        auto recorded = recorder_.record(id);
        if (!recorded)
            spdlog::warn("job {}: could not record its changes: {}", id, recorded.error().message);
        else if (*recorded)
            spdlog::info("job {}: {}", id, (*recorded)->summary());
        lock.lock();
    }
}

}  // namespace cj::jobs

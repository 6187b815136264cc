#include "core/jobs/channel_notifier.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "core/jobs/end_summary.h"
#include "core/util/clock.h"

namespace cj::jobs {

using nlohmann::json;

json channel_params(const JobRecord& job) {
    EndSummary end = summarize_end(job);
    json meta = {{"job_id", end.jobId}, {"status", end.state}};
    if (!end.label.empty()) meta["label"] = end.label;
    if (!end.reason.empty()) meta["reason"] = end.reason;
    if (job.endedAt > 0) meta["ended_at"] = util::iso8601(job.endedAt);
    if (end.hasCost) {
        char cost[32];
        std::snprintf(cost, sizeof cost, "%.4f", end.costUsd);
        meta["cost_usd"] = cost;
    }
    return {{"content", end_sentence(end)}, {"meta", meta}};
}

ChannelNotifier::ChannelNotifier(JobService& service, Send send)
    : service_(service), send_(std::move(send)) {
    thread_ = std::thread([this] { loop(); });
    std::string self = service_.self().instance;
    subscription_ = service_.transitions().subscribe([this, self](const Transition& t) {
        if (!is_terminal(t.to) || t.ownerInstance != self) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ended_.push_back(t.jobId);
        }
        wake_.notify_one();
    });
}

ChannelNotifier::~ChannelNotifier() {
    service_.transitions().unsubscribe(subscription_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ChannelNotifier::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !ended_.empty(); });
        if (stopping_) return;
        std::string id = std::move(ended_.front());
        ended_.pop_front();
        lock.unlock();
        tell(id);
        lock.lock();
    }
}

void ChannelNotifier::tell(const std::string& jobId) {
    auto claimed = service_.wake_marks().claim(jobId, WakePath::Channel);
    if (!claimed || !*claimed) return;  // collected, told already, or the index is locked
    auto job = service_.index().get(jobId);
    if (!job || !*job) return;
    if (!send_(kChannelMethod, channel_params(**job)))
        spdlog::debug("job {}: no client to send the channel notification to", jobId);
}

}  // namespace cj::jobs

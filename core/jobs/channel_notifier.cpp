#include "core/jobs/channel_notifier.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "core/jobs/end_summary.h"
#include "core/transcript/text.h"
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

json awaiting_params(const JobRecord& job, const InteractiveState& state) {
    std::string label = transcript::one_line(job.label, 80);
    std::string what = state.state == "asking"
                           ? "asks: \"" + transcript::one_line(state.question, 300) + "\""
                           : "waits for input";
    std::string content =
        "claude-jobs job " + job.id + (label.empty() ? "" : " (" + label + ")") + " " + what;
    if (state.state != "asking" && !state.lastText.empty())
        content += "; its last answer begins: \"" +
                   transcript::one_line(state.lastText, kSummaryResultBytes) + "\"";
    json meta = {{"job_id", job.id}, {"status", state.state}};
    if (!label.empty()) meta["label"] = label;
    return {{"content", content + " (claude_send answers it)."}, {"meta", meta}};
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
        if (!wake_.wait_for(lock, kInteractivePoll,
                            [this] { return stopping_ || !ended_.empty(); })) {
            lock.unlock();
            look_at_interactive_jobs();
            lock.lock();
            continue;
        }
        if (stopping_) return;
        std::string id = std::move(ended_.front());
        ended_.pop_front();
        lock.unlock();
        tell(id);
        lock.lock();
    }
}

void ChannelNotifier::look_at_interactive_jobs() {
    auto active = service_.index().active();
    if (!active) return;
    std::map<std::string, bool> seen;
    for (const auto& job : *active) {
        if (job.state != JobState::Running || job.owner.instance != service_.self().instance)
            continue;
        auto state = read_interactive_state(service_.job_dir(job.id));
        if (!state) continue;  // not interactive
        bool awaiting = awaits_input(*state);
        auto before = awaiting_.find(job.id);
        if (awaiting && (before == awaiting_.end() || !before->second))
            send_(kChannelMethod, awaiting_params(job, *state));
        seen[job.id] = awaiting;
    }
    awaiting_ = std::move(seen);  // ended jobs drop out
}

void ChannelNotifier::tell(const std::string& jobId) {
    if (service_.being_waited(jobId)) return;  // the wait's answer tells it
    auto claimed = service_.wake_marks().claim(jobId, WakePath::Channel);
    if (!claimed || !*claimed) return;  // collected, told already, or the index is locked
    auto job = service_.index().get(jobId);
    if (!job || !*job) return;
    if (!send_(kChannelMethod, channel_params(**job)))
        spdlog::debug("job {}: no client to send the channel notification to", jobId);
}

}  // namespace cj::jobs

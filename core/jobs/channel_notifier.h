// Channel notifications (Claude Code's `notifications/claude/channel`, docs/notifications.md):
// when a job that this server process started ends, its client is sent one notification
// with a short `content` (the end in one sentence) and string-valued `meta` (job_id, status,
// label, reason, ended_at, cost_usd) — once per end (the channel's told mark is claimed in the
// index), and not for an end the owner already read with claude_check or claude_wait. One stdio
// server is one client connection, so "started here" is "started by this connection".
// An interactive job (tmux) of this connection that starts waiting for input or asks a question
// is told too, once each time it does (its interactive.jsonl is looked at every
// kInteractivePoll).
//
// Thread-safety: built and destroyed on one thread; it follows the transition feed and
// sends from a worker thread of its own (claims write to the index, which may wait).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/jobs/interactive_state.h"
#include "core/jobs/job_service.h"

namespace cj::jobs {

constexpr const char* kChannelMethod = "notifications/claude/channel";

// The notification's params for a job's end: {content, meta}.
nlohmann::json channel_params(const JobRecord& job);
// ... and for an interactive job that waits for input or asks (state.state says which).
nlohmann::json awaiting_params(const JobRecord& job, const InteractiveState& state);

class ChannelNotifier {
  public:
    // send: writes one notification to this process's client; false when it could not.
    using Send = std::function<bool(const std::string& method, const nlohmann::json& params)>;
    ChannelNotifier(JobService& service, Send send);
    ~ChannelNotifier();
    ChannelNotifier(const ChannelNotifier&) = delete;
    ChannelNotifier& operator=(const ChannelNotifier&) = delete;

    static constexpr std::chrono::milliseconds kInteractivePoll{250};

  private:
    void loop();
    void tell(const std::string& jobId);
    void look_at_interactive_jobs();

    JobService& service_;
    Send send_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::string> ended_;  // ends of our jobs, not yet told
    bool stopping_ = false;
    std::map<std::string, bool>
        awaiting_;  // running interactive jobs: awaiting input when last seen
    std::thread thread_;
    int subscription_ = 0;
};

}  // namespace cj::jobs

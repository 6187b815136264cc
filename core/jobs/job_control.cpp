#include "core/jobs/job_control.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/jobs/interactive_state.h"
#include "core/util/clock.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {
constexpr auto kPoll = std::chrono::milliseconds(10);
// A cancelled job still running gets its stop again this often (the first may have been
// lost to a race with its launch, or sent from a process without its backend).
constexpr auto kRestopInterval = std::chrono::seconds(5);
constexpr int kMaxCancelWaitSec = 40;
}  // namespace

Result<void> StopRequests::request(const JobRecord& job, int graceSec) {
    auto attached = backends_.attach(job);
    if (!attached) {
        if (attached.error().code != ErrorCode::Unavailable) return attached.error();
        return make_error(ErrorCode::Unavailable,
                          attached.error().message + "; a server that has it will stop the job");
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        sent_[job.id] = std::chrono::steady_clock::now();
    }
    auto stopped = (*attached)->backend->stop(job.id, graceSec);
    if (!stopped && stopped.error().code == ErrorCode::NotFound) return {};  // it ended meanwhile
    return stopped;
}

void StopRequests::repeat_if_due(const JobRecord& job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto last = sent_.find(job.id);
        if (last != sent_.end() &&
            std::chrono::steady_clock::now() - last->second < kRestopInterval)
            return;
    }
    if (auto r = request(job, job.cancelGraceSec); !r)
        spdlog::debug("job {}: stop: {}", job.id, r.error().message);
}

void StopRequests::retain(const std::set<std::string>& active) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = sent_.begin(); it != sent_.end();)
        it = active.count(it->first) ? std::next(it) : sent_.erase(it);
}

Result<JobView> JobControl::cancel(const std::string& id, int graceSec, util::CancelToken& token) {
    auto fresh = reconciler_.current(id);
    if (!fresh) return fresh.error();
    if (is_terminal(fresh->state)) {
        JobView v = views_.build(*fresh, {});
        v.message =
            std::string("job already ended (") + state_name(fresh->state) + "); nothing to cancel";
        return v;
    }
    if (fresh->state == JobState::Queued) {
        auto done = index_.cancel_queued(id, "cancelled by request while queued", util::now_ms());
        if (!done) return done.error();
        if (*done) {
            auto now = reconciler_.load(id);
            if (!now) return now.error();
            return views_.build(*now, {});
        }
        // It was promoted meanwhile: cancel it running.
    }
    if (auto r = index_.set_cancel_requested(id, graceSec); !r) return r.error();
    // The stop goes out as soon as the job has a handle: a launch in progress (here or in
    // another server) gets its handle within milliseconds. The supervisor then ends the
    // group and records it; wait for that, bounded.
    bool stop_sent = false;
    std::string note;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(std::min(graceSec + 5, kMaxCancelWaitSec));
    for (;;) {
        auto row = reconciler_.load(id);
        if (!row) return row.error();
        if (!stop_sent && row->state == JobState::Running && !row->handle.empty()) {
            auto stopped = stops_.request(*row, graceSec);
            if (!stopped && stopped.error().code != ErrorCode::Unavailable) return stopped.error();
            if (!stopped) note = stopped.error().message;
            stop_sent = true;
        }
        auto now = reconciler_.refresh(*row);
        if (!now) return now.error();
        if (is_terminal(now->state) || std::chrono::steady_clock::now() >= deadline ||
            token.cancelled()) {
            JobView v = views_.build(*now, {});
            if (!is_terminal(now->state))
                v.message = note.empty()
                                ? "cancel requested; the job is still stopping — check it again"
                                : "cancel recorded; " + note;
            return v;
        }
        token.wait_for(kPoll);
    }
}

Result<JobView> JobControl::send(const std::string& id, const std::string& text) {
    auto fresh = reconciler_.current(id);
    if (!fresh) return fresh.error();
    const BackendEntry* entry = backends_.find(fresh->backend);
    if (!entry || !entry->backend || !entry->capabilities.sendInput)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + id + " runs on backend \"" + fresh->backend +
                              "\", which does not take input; only jobs on a backend in "
                              "interactive mode (e.g. tmux with \"mode\": \"interactive\") do");
    if (fresh->state != JobState::Running)
        return make_error(
            ErrorCode::InvalidArgument,
            "job " + id + " is " + state_name(fresh->state) + "; only a running job takes input");
    // Typed text ends with Enter, which in a dialog (folder trust, a tool's permission) picks
    // whatever choice is highlighted: those are answered by a person at the terminal. And
    // nothing goes in before the prompt.
    if (auto interactive = read_interactive_state(dirs_.dir(id))) {
        if (interactive->state == "asking")
            return make_error(ErrorCode::InvalidArgument,
                              "job " + id +
                                  " shows a question on screen (see activity.question)"
                                  "; a person answers it in the terminal (the view's attach "
                                  "command), or cancel the job");
        if (interactive->state == "starting")
            return make_error(ErrorCode::InvalidArgument,
                              "job " + id +
                                  " is still starting (its prompt has not been typed "
                                  "in yet); claude_wait hands it back when it waits for input");
    }
    auto attached = backends_.attach(*fresh);
    if (!attached) return attached.error();
    if (auto sent = (*attached)->backend->sendInput(id, text); !sent) return sent.error();
    return views_.build(*fresh, {});
}

}  // namespace cj::jobs

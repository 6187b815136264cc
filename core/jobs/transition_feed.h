// Following the transitions log: every state change of every job, in order, exactly once,
// whichever process recorded it. One thread per process reads the log (at once when this
// process logged a change, else every kPoll while anyone follows) and hands each new entry to
// every subscriber. What wakes a client — channel notifications, task status notifications,
// resource updates — subscribes here; `claude-jobs events --follow` reads the same log.
//
// Thread-safety: subscribe/unsubscribe from any thread. Callbacks run on the feed's thread,
// one at a time, must not block for long (hand slow work elsewhere), and must not subscribe
// or unsubscribe themselves.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/jobs/job_index.h"

namespace cj::jobs {

class TransitionFeed {
  public:
    using Callback = std::function<void(const Transition&)>;
    static constexpr std::chrono::milliseconds kPoll{50};

    explicit TransitionFeed(JobIndex& index);
    ~TransitionFeed();
    TransitionFeed(const TransitionFeed&) = delete;
    TransitionFeed& operator=(const TransitionFeed&) = delete;

    // The callback gets every change logged after this call. Returns an id for unsubscribe.
    int subscribe(Callback callback);
    void unsubscribe(int id);
    // A change was logged by this process: read the log now rather than at the next poll.
    void nudge();

  private:
    void loop();

    JobIndex& index_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<int, Callback> subscribers_;
    int nextId_ = 1;
    std::int64_t seen_ = 0;  // the last seq handed out (or skipped before any subscriber)
    bool nudged_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace cj::jobs

// Writing each job's change record as soon as its end is logged, by whichever process logged
// it: a TransitionFeed subscriber that hands ended jobs to a thread of its own (recording
// reads the checkout and runs git, too slow for the feed's thread). A job whose end nobody
// followed gets its record on the first read (claude_check, apply, discard), so nothing
// depends on this running.
//
// Thread-safety: constructed and destroyed by one owner; the work happens on its thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/jobs/changes.h"
#include "core/jobs/transition_feed.h"

namespace cj::jobs {

class ChangeFollower {
  public:
    ChangeFollower(TransitionFeed& feed, ChangeRecorder& recorder);
    ~ChangeFollower();
    ChangeFollower(const ChangeFollower&) = delete;
    ChangeFollower& operator=(const ChangeFollower&) = delete;

  private:
    void loop();

    TransitionFeed& feed_;
    ChangeRecorder& recorder_;
    int subscription_ = 0;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::string> ended_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace cj::jobs

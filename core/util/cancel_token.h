// A one-way "stop" flag a blocking call waits on instead of sleeping: fired by the client's
// notifications/cancelled, by the end of input, or by Ctrl-C in the command line. It is
// infrastructure, not protocol: the job service and the command line use it too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cj::util {

// Thread-safe. Once cancelled it stays cancelled.
class CancelToken {
  public:
    void cancel() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            cancelled_ = true;
        }
        cv_.notify_all();
    }
    bool cancelled() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return cancelled_;
    }
    // Blocks up to `timeout` or until cancelled; true when cancelled.
    bool wait_for(std::chrono::milliseconds timeout) const {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, timeout, [this] { return cancelled_; });
    }

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    bool cancelled_ = false;
};

}  // namespace cj::util

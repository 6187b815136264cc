// What a request handler gets besides its params: a way to notice cancellation (the client's
// notifications/cancelled, or stdin EOF) and a way to send notifications (progress).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

namespace cj::protocol {

// Thread-safe one-way flag. A handler that waits should wait on it, not sleep.
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

struct RequestContext {
    std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>();
    // The request's params._meta.progressToken, when the client sent one.
    std::optional<nlohmann::json> progressToken;
    // Sends a JSON-RPC notification; safe from any thread. Set by the server.
    std::function<void(const std::string& method, const nlohmann::json& params)> notify =
        [](const std::string&, const nlohmann::json&) {};
};

}  // namespace cj::protocol

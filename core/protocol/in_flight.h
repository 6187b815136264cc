// The requests being worked on right now: each runs on its own worker thread, can be found by
// id to be cancelled, and is waited for at shutdown. Knows ids and threads, not MCP methods.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/util/cancel_token.h"

namespace cj::protocol {

// Thread-safety: start() and wait_all() are called from one thread (the reader); everything
// else from any thread. Exceptions: none escape a worker; start() reports failures as values.
class InFlightRequests {
  public:
    // `deliver` sends a finished request's response; called on worker threads, concurrently.
    InFlightRequests(std::size_t maxConcurrent, std::function<void(const nlohmann::json&)> deliver);
    ~InFlightRequests();  // cancels and waits, should wait_all() not have run

    InFlightRequests(const InFlightRequests&) = delete;
    InFlightRequests& operator=(const InFlightRequests&) = delete;

    enum class Start { Started, Busy, DuplicateId, NoThread };

    // Runs `work` on a new thread; it returns the whole response message. The response is
    // delivered unless the client cancelled the request meanwhile (MCP: receivers of a
    // cancellation should not respond).
    Start start(const RequestId& id, std::shared_ptr<util::CancelToken> token,
                std::function<nlohmann::json()> work);

    // The client's notifications/cancelled: fires the token, suppresses the response.
    // False when no such request is in flight (finished already, or never existed).
    bool cancel_by_client(const RequestId& id);

    // Shutdown: fires every token so waits end early; their responses are still delivered.
    void cancel_all();

    // Blocks until every worker has delivered (or dropped) its response and exited.
    void wait_all();

    std::size_t size() const;

  private:
    struct Entry {
        std::shared_ptr<util::CancelToken> token;
        bool cancelledByClient = false;
    };

    // Removes a finished request; true when its response should be delivered.
    bool finish(const RequestId& id);
    // Joins the threads of workers that have finished, so threads do not pile up.
    void reap();

    const std::size_t maxConcurrent_;
    const std::function<void(const nlohmann::json&)> deliver_;

    mutable std::mutex mutex_;
    std::map<RequestId, Entry> entries_;
    std::unordered_map<std::uint64_t, std::thread> threads_;  // by serial number
    std::vector<std::uint64_t> exited_;                       // serials ready to join
    std::uint64_t nextSerial_ = 0;
};

}  // namespace cj::protocol

// The requests being worked on right now: each runs on a worker of a small pool of long-lived
// threads, can be found by id to be cancelled, and is waited for at shutdown. Knows ids and
// threads, not MCP methods.
//
// Why a pool: a new thread per request costs its creation, and on a machine whose cores are
// busy a new thread can wait milliseconds before it first runs; a parked worker is woken
// instead. A worker is added only when every worker is busy (a claude_wait holds one for up
// to 50 s), so a slow request never delays another; at most kMaxIdleWorkers stay parked.
//
// Reading the input is a role the workers take in turn (leader/follower): the worker that
// read a request hands the role to a parked worker and works on the request itself, so a
// request is never handed from one thread to another on its way — on a busy machine, each
// hand-off can wait for the next scheduler tick (4 ms at 250 Hz). The next reader's wake-up
// overlaps the work instead of preceding it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
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
    // Workers kept parked for the next requests; more than this many idle ones end.
    static constexpr std::size_t kMaxIdleWorkers = 8;

    // `deliver` sends a finished request's response; called on worker threads, concurrently.
    InFlightRequests(std::size_t maxConcurrent, std::function<void(const nlohmann::json&)> deliver);
    ~InFlightRequests();  // cancels and waits, should wait_all() not have run

    InFlightRequests(const InFlightRequests&) = delete;
    InFlightRequests& operator=(const InFlightRequests&) = delete;

    enum class Start { Started, Busy, DuplicateId, NoThread };

    // What a request's work returns: the whole response message, and what to do once it is
    // out (run even when the response is dropped).
    struct Reply {
        nlohmann::json message;
        std::function<void()> then;
    };

    // Runs `work` on a worker. The response is delivered unless the client cancelled the
    // request meanwhile (MCP: receivers of a cancellation should not respond); then `then`
    // runs on the same worker (wait_all() waits for it too).
    Start start(const RequestId& id, std::shared_ptr<util::CancelToken> token,
                std::function<Reply()> work);

    // The reading role: `role` reads input on the worker that holds it until it has a request
    // to work on — it then calls admit() and pass_reader_role() and runs the request with
    // run_here() — or the input ends (input_ended()). start_reading() gives it to a worker.
    void start_reading(std::function<void()> role);
    void pass_reader_role();
    void input_ended();
    // Blocks until input_ended() was called.
    void wait_for_input_end();
    // Registers a request the calling thread works on itself (same checks as start()).
    Start admit(const RequestId& id, std::shared_ptr<util::CancelToken> token);
    void run_here(const RequestId& id, std::function<Reply()> work);

    // The client's notifications/cancelled: fires the token, suppresses the response.
    // False when no such request is in flight (finished already, or never existed).
    bool cancel_by_client(const RequestId& id);

    // Shutdown: fires every token so waits end early; their responses are still delivered.
    void cancel_all();

    // Blocks until every request has delivered (or dropped) its response and every worker
    // has exited.
    void wait_all();

    std::size_t size() const;
    // Worker threads alive now (busy or parked), and those parked.
    std::size_t workers() const;
    std::size_t idle_workers() const;

  private:
    struct Entry {
        std::shared_ptr<util::CancelToken> token;
        bool cancelledByClient = false;
    };
    struct Task {
        RequestId id;
        std::function<Reply()> work;
    };

    void worker(std::uint64_t serial);
    void run(Task& task);
    // A task or the reading role is waiting: wake a parked worker, or add one (lock held).
    bool offer(std::unique_lock<std::mutex>& lock);
    std::size_t waiting() const { return tasks_.size() + (roleFree_ ? 1 : 0); }
    // Removes a finished request; true when its response should be delivered.
    bool finish(const RequestId& id);
    // Joins the threads of workers that have exited.
    void reap();

    const std::size_t maxConcurrent_;
    const std::function<void(const nlohmann::json&)> deliver_;

    mutable std::mutex mutex_;
    std::condition_variable work_;  // workers: a task arrived, or stop
    std::map<RequestId, Entry> entries_;
    std::deque<Task> tasks_;
    std::size_t idle_ = 0;  // parked workers
    bool stopping_ = false;
    std::function<void()> role_;  // the reading role
    bool roleFree_ = false;       // it waits for a worker to take it
    bool inputEnded_ = false;
    std::condition_variable ended_;
    std::unordered_map<std::uint64_t, std::thread> threads_;  // by serial number
    std::vector<std::uint64_t> exited_;                       // serials ready to join
    std::uint64_t nextSerial_ = 0;
};

}  // namespace cj::protocol

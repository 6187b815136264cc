// Worker threads for requests, their cancellation, and shutdown.
#include "core/protocol/in_flight.h"

#include <system_error>

#include <spdlog/spdlog.h>

namespace cj::protocol {

InFlightRequests::InFlightRequests(std::size_t maxConcurrent,
                                   std::function<void(const nlohmann::json&)> deliver)
    : maxConcurrent_(maxConcurrent), deliver_(std::move(deliver)) {}

InFlightRequests::~InFlightRequests() {
    cancel_all();
    wait_all();
}

InFlightRequests::Start InFlightRequests::admit(const RequestId& id,
                                                std::shared_ptr<util::CancelToken> token) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.count(id) != 0) return Start::DuplicateId;
    if (entries_.size() >= maxConcurrent_) return Start::Busy;
    entries_.emplace(id, Entry{std::move(token), false});
    return Start::Started;
}

InFlightRequests::Start InFlightRequests::start(const RequestId& id,
                                                std::shared_ptr<util::CancelToken> token,
                                                std::function<Reply()> work) {
    reap();
    if (Start admitted = admit(id, std::move(token)); admitted != Start::Started) return admitted;
    std::unique_lock<std::mutex> lock(mutex_);
    tasks_.push_back(Task{id, std::move(work)});
    if (!offer(lock)) {
        tasks_.pop_back();
        entries_.erase(id);
        return Start::NoThread;
    }
    return Start::Started;
}

bool InFlightRequests::offer(std::unique_lock<std::mutex>& lock) {
    // Parked workers not yet woken for earlier work count against what waits.
    if (idle_ >= waiting()) {
        work_.notify_one();
        return true;
    }
    std::uint64_t serial = nextSerial_++;
    try {
        threads_.emplace(serial, std::thread([this, serial] { worker(serial); }));
    } catch (const std::system_error& e) {
        spdlog::error("cannot start a worker thread: {}", e.what());
        return !threads_.empty();  // a busy worker takes it when it is free
    }
    return true;
}

void InFlightRequests::start_reading(std::function<void()> role) {
    std::unique_lock<std::mutex> lock(mutex_);
    role_ = std::move(role);
    roleFree_ = true;
    inputEnded_ = false;
    if (offer(lock)) return;
    // No thread at all: read on this one (requests then run on it too, one at a time).
    while (roleFree_ && !inputEnded_) {
        roleFree_ = false;
        lock.unlock();
        role_();
        lock.lock();
    }
}

void InFlightRequests::pass_reader_role() {
    reap();
    std::unique_lock<std::mutex> lock(mutex_);
    roleFree_ = true;
    offer(lock);
}

void InFlightRequests::input_ended() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        inputEnded_ = true;
    }
    ended_.notify_all();
}

void InFlightRequests::wait_for_input_end() {
    std::unique_lock<std::mutex> lock(mutex_);
    ended_.wait(lock, [this] { return inputEnded_; });
}

void InFlightRequests::run_here(const RequestId& id, std::function<Reply()> work) {
    Task task{id, std::move(work)};
    run(task);
}

void InFlightRequests::worker(std::uint64_t serial) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // The role first: a request may be waiting on the input right now.
        if (roleFree_) {
            roleFree_ = false;
            lock.unlock();
            role_();
            lock.lock();
            continue;
        }
        if (!tasks_.empty()) {
            Task task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            run(task);
            lock.lock();
            continue;
        }
        if (stopping_ || idle_ >= kMaxIdleWorkers) break;
        ++idle_;
        work_.wait(lock, [this] { return stopping_ || !tasks_.empty() || roleFree_; });
        --idle_;
    }
    exited_.push_back(serial);
}

void InFlightRequests::run(Task& task) {
    Reply reply;
    try {
        reply = task.work();
    } catch (const std::exception& e) {
        // Handlers report errors as values; reaching here is a bug, but not a crash.
        spdlog::error("request {} failed unexpectedly: {}", to_string(task.id), e.what());
        reply.message = make_error(task.id, Error{kInternalError, "internal error", nullptr});
    } catch (...) {
        spdlog::error("request {} failed unexpectedly", to_string(task.id));
        reply.message = make_error(task.id, Error{kInternalError, "internal error", nullptr});
    }
    task.work = nullptr;  // what the request held goes now, not when the next one comes
    // The id is free again once answered (a client may reuse it); the worker stays busy with
    // `then`, so shutdown still waits for it.
    if (finish(task.id)) {
        deliver_(reply.message);
    } else {
        spdlog::debug("request {} was cancelled by the client; its response is dropped",
                      to_string(task.id));
    }
    if (reply.then) {
        try {
            reply.then();
        } catch (const std::exception& e) {
            spdlog::error("request {}: after its reply: {}", to_string(task.id), e.what());
        } catch (...) {
            spdlog::error("request {}: after its reply: unknown exception", to_string(task.id));
        }
    }
}

bool InFlightRequests::cancel_by_client(const RequestId& id) {
    std::shared_ptr<util::CancelToken> token;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return false;
        it->second.cancelledByClient = true;
        token = it->second.token;
    }
    token->cancel();
    return true;
}

void InFlightRequests::cancel_all() {
    std::vector<std::shared_ptr<util::CancelToken>> tokens;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [id, entry] : entries_) tokens.push_back(entry.token);
    }
    for (auto& token : tokens) token->cancel();
}

void InFlightRequests::wait_all() {
    std::unordered_map<std::uint64_t, std::thread> threads;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // Workers finish the queued tasks first: every request is answered.
        stopping_ = true;
        threads.swap(threads_);
        exited_.clear();
    }
    work_.notify_all();
    for (auto& [serial, thread] : threads) thread.join();
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;  // the session may still start requests (it never does after this)
}

std::size_t InFlightRequests::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

std::size_t InFlightRequests::workers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_.size();
}

std::size_t InFlightRequests::idle_workers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return idle_;
}

bool InFlightRequests::finish(const RequestId& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return true;
    bool deliver = !it->second.cancelledByClient;
    entries_.erase(it);
    return deliver;
}

void InFlightRequests::reap() {
    std::vector<std::thread> done;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (std::uint64_t serial : exited_) {
            auto it = threads_.find(serial);
            if (it == threads_.end()) continue;
            done.push_back(std::move(it->second));
            threads_.erase(it);
        }
        exited_.clear();
    }
    for (auto& thread : done) thread.join();
}

}  // namespace cj::protocol

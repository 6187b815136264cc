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

InFlightRequests::Start InFlightRequests::start(const RequestId& id,
                                                std::shared_ptr<util::CancelToken> token,
                                                std::function<nlohmann::json()> work) {
    reap();
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.count(id) != 0) return Start::DuplicateId;
    if (entries_.size() >= maxConcurrent_) return Start::Busy;

    std::uint64_t serial = nextSerial_++;
    entries_.emplace(id, Entry{std::move(token), false});
    auto body = [this, id, serial, work = std::move(work)] {
        nlohmann::json response;
        try {
            response = work();
        } catch (const std::exception& e) {
            // Handlers report errors as values; reaching here is a bug, but not a crash.
            spdlog::error("request {} failed unexpectedly: {}", to_string(id), e.what());
            response = make_error(id, Error{kInternalError, "internal error", nullptr});
        } catch (...) {
            spdlog::error("request {} failed unexpectedly", to_string(id));
            response = make_error(id, Error{kInternalError, "internal error", nullptr});
        }
        if (finish(id)) {
            deliver_(response);
        } else {
            spdlog::debug("request {} was cancelled by the client; its response is dropped",
                          to_string(id));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        exited_.push_back(serial);
    };
    try {
        threads_.emplace(serial, std::thread(std::move(body)));
    } catch (const std::system_error& e) {
        spdlog::error("cannot start a thread for request {}: {}", to_string(id), e.what());
        entries_.erase(id);
        return Start::NoThread;
    }
    return Start::Started;
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
        threads.swap(threads_);
        exited_.clear();
    }
    for (auto& [serial, thread] : threads) thread.join();
}

std::size_t InFlightRequests::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
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

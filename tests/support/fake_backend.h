// A scriptable IJobBackend for tests of the job rooms: every answer can be set by the test,
// every call is recorded, and a test can wait for a call to arrive. It runs nothing.
//
// Thread-safe: answers and hooks may be set, and methods called, from any thread. Hooks run
// outside the lock, so a hook may call back into the backend (or the job index).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "claude_jobs/job_backend.h"

namespace cj::testing {

class FakeBackend : public claude_jobs::IJobBackend {
  public:
    struct Call {
        std::string method;  // "start", "recover", "status", "stop", "destroy", "attachCommand",
                             // "sendInput", "health"
        std::string jobId;
        int graceSec = 0;  // stop
        std::string text;  // sendInput
    };

    explicit FakeBackend(claude_jobs::Capabilities capabilities = {})
        : capabilities_(capabilities) {}

    // --- answers -------------------------------------------------------------------------
    void set_health(claude_jobs::Result<void> answer) { set(health_, std::move(answer)); }
    // start() fails with this error (nullopt: it succeeds with a handle naming the job).
    void set_start_error(std::optional<claude_jobs::Error> error) { set(startError_, error); }
    void set_recover(claude_jobs::Result<void> answer) { set(recover_, std::move(answer)); }
    // status() of one job; jobs without an answer of their own are Running.
    void set_status(const std::string& jobId, claude_jobs::Result<claude_jobs::JobStatus> answer) {
        std::lock_guard<std::mutex> lock(mutex_);
        status_.insert_or_assign(jobId, std::move(answer));
    }
    void set_stop(claude_jobs::Result<void> answer) { set(stop_, std::move(answer)); }
    void set_destroy(claude_jobs::Result<void> answer) { set(destroy_, std::move(answer)); }
    void set_send(claude_jobs::Result<void> answer) { set(send_, std::move(answer)); }

    // --- hooks, run before the answer is given (outside the lock) --------------------------
    void on_start(std::function<void(const claude_jobs::JobSpec&)> hook) { set(onStart_, hook); }
    void on_status(std::function<void(const std::string&)> hook) { set(onStatus_, hook); }
    void on_stop(std::function<void(const std::string&, int)> hook) { set(onStop_, hook); }

    // --- what was called -----------------------------------------------------------------
    std::vector<Call> calls(const std::string& method) const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Call> out;
        for (const auto& c : calls_)
            if (c.method == method) out.push_back(c);
        return out;
    }
    // How many calls of `method` (for `jobId`, when given).
    int count(const std::string& method, const std::string& jobId = "") const {
        std::lock_guard<std::mutex> lock(mutex_);
        return count_locked(method, jobId);
    }
    // Blocks until `method` has been called at least `n` times (for `jobId`, when given), or
    // the timeout passes; true when it was.
    bool wait_for_call(const std::string& method, const std::string& jobId = "", int n = 1,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock<std::mutex> lock(mutex_);
        return called_.wait_for(lock, timeout, [&] { return count_locked(method, jobId) >= n; });
    }
    std::optional<claude_jobs::JobSpec> last_spec() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return lastSpec_;
    }

    // The command attachCommand() answers for a job.
    static std::string attach_command_for(const std::string& jobId) {
        return "fake-attach " + jobId;
    }

    // --- IJobBackend ---------------------------------------------------------------------
    claude_jobs::BackendInfo info() const noexcept override {
        return {"fake", "1.2.3", "a backend that runs nothing"};
    }
    claude_jobs::Result<void> configure(const std::string&,
                                        const claude_jobs::HostContext&) noexcept override {
        return {};
    }
    claude_jobs::Capabilities capabilities() const noexcept override { return capabilities_; }
    claude_jobs::Result<void> health() noexcept override {
        record("health");
        std::lock_guard<std::mutex> lock(mutex_);
        return health_;
    }
    claude_jobs::Result<claude_jobs::JobHandle> start(
        const claude_jobs::JobSpec& spec) noexcept override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            lastSpec_ = spec;
        }
        run(onStart_, spec);
        record("start", spec.jobId);
        std::lock_guard<std::mutex> lock(mutex_);
        if (startError_) return *startError_;
        return claude_jobs::JobHandle{spec.jobId, "fake", 1, R"({"fake":true})"};
    }
    claude_jobs::Result<void> recover(const claude_jobs::JobHandle& handle) noexcept override {
        record("recover", handle.jobId);
        std::lock_guard<std::mutex> lock(mutex_);
        return recover_;
    }
    claude_jobs::Result<claude_jobs::JobStatus> status(const std::string& jobId) noexcept override {
        run(onStatus_, jobId);
        record("status", jobId);
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = status_.find(jobId);
        if (found == status_.end()) return claude_jobs::JobStatus{};
        return found->second;
    }
    claude_jobs::Result<void> stop(const std::string& jobId, int graceSec) noexcept override {
        run(onStop_, jobId, graceSec);
        record("stop", jobId, graceSec);
        std::lock_guard<std::mutex> lock(mutex_);
        return stop_;
    }
    claude_jobs::Result<void> destroy(const std::string& jobId) noexcept override {
        record("destroy", jobId);
        std::lock_guard<std::mutex> lock(mutex_);
        return destroy_;
    }
    claude_jobs::Result<std::string> attachCommand(const std::string& jobId) noexcept override {
        record("attachCommand", jobId);
        return attach_command_for(jobId);
    }
    claude_jobs::Result<void> sendInput(const std::string& jobId,
                                        const std::string& text) noexcept override {
        record("sendInput", jobId, 0, text);
        std::lock_guard<std::mutex> lock(mutex_);
        return send_;
    }

  private:
    template <class T, class V>
    void set(T& field, V value) {
        std::lock_guard<std::mutex> lock(mutex_);
        field = std::move(value);
    }
    template <class Hook, class... Args>
    void run(const Hook& field, const Args&... args) {
        Hook hook;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            hook = field;
        }
        if (hook) hook(args...);
    }
    void record(std::string method, std::string jobId = "", int graceSec = 0,
                std::string text = "") {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            calls_.push_back(Call{std::move(method), std::move(jobId), graceSec, std::move(text)});
        }
        called_.notify_all();
    }
    int count_locked(const std::string& method, const std::string& jobId) const {
        int n = 0;
        for (const auto& c : calls_)
            if (c.method == method && (jobId.empty() || c.jobId == jobId)) ++n;
        return n;
    }

    const claude_jobs::Capabilities capabilities_;
    mutable std::mutex mutex_;
    mutable std::condition_variable called_;
    std::vector<Call> calls_;
    std::optional<claude_jobs::JobSpec> lastSpec_;
    claude_jobs::Result<void> health_;
    std::optional<claude_jobs::Error> startError_;
    claude_jobs::Result<void> recover_;
    std::map<std::string, claude_jobs::Result<claude_jobs::JobStatus>> status_;
    claude_jobs::Result<void> stop_;
    claude_jobs::Result<void> destroy_;
    claude_jobs::Result<void> send_;
    std::function<void(const claude_jobs::JobSpec&)> onStart_;
    std::function<void(const std::string&)> onStatus_;
    std::function<void(const std::string&, int)> onStop_;
};

}  // namespace cj::testing

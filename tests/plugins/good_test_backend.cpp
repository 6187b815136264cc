// A minimal valid backend module for the loader tests: it proves that the module a scan accepts
// yields working instances. Jobs are bookkeeping only; nothing is launched.
#include <mutex>
#include <set>

#include "claude_jobs/plugin.h"

namespace {

using namespace claude_jobs;

class GoodTestBackend : public JobBackendBase {
  public:
    BackendInfo info() const noexcept override {
        return {"good-test-backend", "1.2.3", "loader test backend; runs nothing"};
    }
    Result<void> configure(const std::string& configJson, const HostContext&) noexcept override {
        if (configJson != "{}") return make_error(ErrorCode::InvalidArgument, "takes no settings");
        return {};
    }
    Capabilities capabilities() const noexcept override { return {}; }
    Result<void> health() noexcept override { return {}; }
    Result<JobHandle> start(const JobSpec& spec) noexcept override {
        try {
            std::lock_guard lock(mutex_);
            if (!jobs_.insert(spec.jobId).second) {
                return make_error(ErrorCode::AlreadyExists, "job " + spec.jobId + " exists");
            }
            return JobHandle{spec.jobId, "test", 1, "{}"};
        } catch (...) {
            return make_error(ErrorCode::Internal, "out of memory");
        }
    }
    Result<void> recover(const JobHandle& handle) noexcept override {
        try {
            std::lock_guard lock(mutex_);
            jobs_.insert(handle.jobId);
            return {};
        } catch (...) {
            return make_error(ErrorCode::Internal, "out of memory");
        }
    }
    Result<JobStatus> status(const std::string& jobId) noexcept override {
        std::lock_guard lock(mutex_);
        if (!jobs_.count(jobId)) return make_error(ErrorCode::NotFound, "no job " + jobId);
        return JobStatus{};
    }
    Result<void> stop(const std::string& jobId, int) noexcept override {
        std::lock_guard lock(mutex_);
        if (!jobs_.count(jobId)) return make_error(ErrorCode::NotFound, "no job " + jobId);
        return {};
    }

  private:
    std::mutex mutex_;
    std::set<std::string> jobs_;
};

}  // namespace

CLAUDE_JOBS_BACKEND(GoodTestBackend, "good-test-backend", "1.2.3")

// The conformance kit must catch a backend that breaks the contract, and say which rule: this
// program runs the kit against deliberately broken backends, and CTest checks that each
// broken rule's test fails with a message naming the rule (see CMakeLists.txt).
//   BrokenConformance: local-detached behind a wrapper that accepts unknown settings, fails
//     stop() after the job ended, blocks in status(), and forgets what recover() is given.
//   LeakyModuleConformance: a module built without hidden visibility.
#include <dlfcn.h>

#include <chrono>
#include <memory>
#include <thread>

#include <claude_jobs/plugin.h>
#include <claude_jobs/testing/conformance.h>

namespace {

using namespace claude_jobs;

std::shared_ptr<IJobBackend> load_local_detached() {
    void* module = ::dlopen(CLAUDE_JOBS_TEST_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (!module) return nullptr;
    auto create =
        reinterpret_cast<ClaudeJobsCreateFn>(::dlsym(module, "claude_jobs_create_backend"));
    auto destroy =
        reinterpret_cast<ClaudeJobsDestroyFn>(::dlsym(module, "claude_jobs_destroy_backend"));
    return std::shared_ptr<IJobBackend>(create(), destroy);
}

class BrokenBackend : public JobBackendBase {
  public:
    BrokenBackend() : inner_(load_local_detached()) {}

    BackendInfo info() const noexcept override { return inner_->info(); }
    // Broken: takes anything, unknown keys included.
    Result<void> configure(const std::string&, const HostContext& host) noexcept override {
        return inner_->configure("{}", host);
    }
    Capabilities capabilities() const noexcept override { return inner_->capabilities(); }
    Result<void> health() noexcept override { return inner_->health(); }
    Result<JobHandle> start(const JobSpec& spec) noexcept override { return inner_->start(spec); }
    // Broken: says yes and remembers nothing.
    Result<void> recover(const JobHandle&) noexcept override { return {}; }
    // Broken: waits, as if asking a slow daemon.
    Result<JobStatus> status(const std::string& jobId) noexcept override {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return inner_->status(jobId);
    }
    // Broken: an ended job is "not found" to stop().
    Result<void> stop(const std::string& jobId, int graceSec) noexcept override {
        auto status = inner_->status(jobId);
        if (status && status->state != RunState::Running)
            return make_error(ErrorCode::NotFound, "job " + jobId + " is not running");
        return inner_->stop(jobId, graceSec);
    }
    Result<void> destroy(const std::string& jobId) noexcept override {
        return inner_->destroy(jobId);
    }

  private:
    std::shared_ptr<IJobBackend> inner_;
};

}  // namespace

CLAUDE_JOBS_CONFORMANCE(BrokenConformance, [] {
    auto setup = claude_jobs::testing::default_setup();
    setup.modulePath.clear();
    setup.factory = [] { return std::make_unique<BrokenBackend>(); };
    return setup;
}());

CLAUDE_JOBS_CONFORMANCE(LeakyModuleConformance, [] {
    auto setup = claude_jobs::testing::default_setup();
    setup.modulePath = LEAKY_MODULE;
    return setup;
}());

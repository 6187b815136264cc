// The deliberately broken backend modules the loader tests refuse. One source: compile
// definitions choose what each module gets wrong (its ABI numbers, its standard library tag,
// the size of its info struct, or a missing entry point), which the SDK macro cannot express.
#include "claude_jobs/plugin.h"

#ifndef MODULE_NAME
#define MODULE_NAME "broken"
#endif
#ifndef MODULE_ABI_MAJOR
#define MODULE_ABI_MAJOR CLAUDE_JOBS_ABI_MAJOR
#endif
#ifdef MODULE_NEWER_MINOR
#define MODULE_ABI_MINOR (CLAUDE_JOBS_ABI_MINOR + 1)
#else
#define MODULE_ABI_MINOR CLAUDE_JOBS_ABI_MINOR
#endif
#ifndef MODULE_STDLIB_ABI
#define MODULE_STDLIB_ABI CLAUDE_JOBS_STDLIB_ABI
#endif
#ifndef MODULE_STRUCT_SIZE
#define MODULE_STRUCT_SIZE sizeof(ClaudeJobsPluginInfo)
#endif

namespace {

// Never meant to run: if the loader accepted one of these modules, the tests would see it.
class BrokenBackend : public claude_jobs::JobBackendBase {
  public:
    claude_jobs::BackendInfo info() const noexcept override {
        return {MODULE_NAME, "0.0.0", "must never be loaded"};
    }
    claude_jobs::Result<void> configure(const std::string&,
                                        const claude_jobs::HostContext&) noexcept override {
        return {};
    }
    claude_jobs::Capabilities capabilities() const noexcept override { return {}; }
    claude_jobs::Result<void> health() noexcept override { return {}; }
    claude_jobs::Result<claude_jobs::JobHandle> start(
        const claude_jobs::JobSpec&) noexcept override {
        return claude_jobs::make_error(claude_jobs::ErrorCode::Internal, "broken module");
    }
    claude_jobs::Result<void> recover(const claude_jobs::JobHandle&) noexcept override {
        return {};
    }
    claude_jobs::Result<claude_jobs::JobStatus> status(const std::string&) noexcept override {
        return claude_jobs::make_error(claude_jobs::ErrorCode::Internal, "broken module");
    }
    claude_jobs::Result<void> stop(const std::string&, int) noexcept override { return {}; }
};

}  // namespace

#ifndef MODULE_OMIT_INFO
extern "C" CLAUDE_JOBS_EXPORT const ClaudeJobsPluginInfo* claude_jobs_plugin_info() {
    static const ClaudeJobsPluginInfo info = {static_cast<std::uint32_t>(MODULE_STRUCT_SIZE),
                                              MODULE_ABI_MAJOR,
                                              MODULE_ABI_MINOR,
                                              MODULE_NAME,
                                              "0.0.0",
                                              CLAUDE_JOBS_COMPILER_ABI,
                                              MODULE_STDLIB_ABI};
    return &info;
}
#else
// Something exported, so the module is a real shared library with symbols, just not ours.
extern "C" CLAUDE_JOBS_EXPORT int unrelated_library_function() {
    return 42;
}
#endif

#ifndef MODULE_OMIT_FACTORY
extern "C" CLAUDE_JOBS_EXPORT claude_jobs::IJobBackend* claude_jobs_create_backend() {
    return new BrokenBackend();
}
extern "C" CLAUDE_JOBS_EXPORT void claude_jobs_destroy_backend(claude_jobs::IJobBackend* b) {
    delete b;
}
#endif

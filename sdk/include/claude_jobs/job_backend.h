// IJobBackend: the interface every backend module implements (SPEC §8).
//
// Lifecycle, as the host drives it:
//   1. create (through the module's factory), info(), configure(), capabilities(), health()
//   2. per job: start() once, or recover() in a process that did not start it;
//      then any number of status(), at most a few stop(), and destroy() once the job's
//      outcome is recorded.
// After start/recover, calls name the job by id, never by a live object.
//
// Rules for every method: noexcept, returns a Result, never blocks for long (a few hundred
// milliseconds at most), and is safe to call from several threads at once.
#pragma once

#include <string>

#include "claude_jobs/result.h"
#include "claude_jobs/types.h"

namespace claude_jobs {

class IJobBackend {
public:
    virtual ~IJobBackend() = default;

    // Self-description. Cheap, constant, callable before configure().
    virtual BackendInfo info() const noexcept = 0;

    // Called once, before any other method below. configJson is the backend's object from the
    // config file (minus "plugin"), "{}" when it has none. Unknown keys must be refused with
    // InvalidArgument naming the key, so that typos do not pass silently.
    virtual Result<void> configure(const std::string& configJson,
                                   const HostContext& host) noexcept = 0;

    virtual Capabilities capabilities() const noexcept = 0;

    // Whether jobs can be started now; the error says why not and what to do (Unavailable).
    virtual Result<void> health() noexcept = 0;

    // Launch the job's supervisor and return as soon as it runs (not when the job ends).
    // The returned handle is persisted by the host. Not idempotent: called once per job.
    // Errors: Unavailable (missing binary, runtime down), Internal (fork failed, ...).
    virtual Result<JobHandle> start(const JobSpec& spec) noexcept = 0;

    // Re-attach to a job from its persisted handle, in a process that did not start it
    // (after a restart, or a second server sharing the state dir). Idempotent. A job that
    // has ended is still recovered (status() then says Exited or Lost).
    // Errors: InvalidArgument for a handle this backend cannot read.
    virtual Result<void> recover(const JobHandle& handle) noexcept = 0;

    // How the job stands, without blocking. NotFound for an id neither started nor recovered.
    virtual Result<JobStatus> status(const std::string& jobId) noexcept = 0;

    // Ask the job to end: SIGTERM to its whole process group (or the equivalent), SIGKILL
    // after graceSec. Returns at once; the supervisor records the end. Idempotent: stopping
    // a job that already ended is a success that does nothing.
    virtual Result<void> stop(const std::string& jobId, int graceSec) noexcept = 0;

    // Free what the backend holds for an ended job (a session, a container). Idempotent.
    virtual Result<void> destroy(const std::string& jobId) noexcept = 0;

    // Optional (Capabilities::attach): the exact command a person runs to watch the job.
    virtual Result<std::string> attachCommand(const std::string& jobId) noexcept = 0;

    // Optional (Capabilities::sendInput): type text into the job, then Enter.
    virtual Result<void> sendInput(const std::string& jobId, const std::string& text) noexcept = 0;
};

// A base with "not supported" answers for the optional methods, and nothing to free.
class JobBackendBase : public IJobBackend {
public:
    Result<void> destroy(const std::string&) noexcept override { return {}; }
    Result<std::string> attachCommand(const std::string&) noexcept override {
        return make_error(ErrorCode::InvalidArgument, "this backend has no attach command");
    }
    Result<void> sendInput(const std::string&, const std::string&) noexcept override {
        return make_error(ErrorCode::InvalidArgument, "this backend does not take input");
    }
};

}  // namespace claude_jobs

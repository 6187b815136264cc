// RunnerBackend: the base of a backend that runs each job's supervisor (claude-jobs-runner)
// somewhere — a detached process, a tmux pane, a container — and follows it. It owns what
// every such backend does the same way, once: configure-and-swap under a lock, the
// not-configured and already-started guards, the JobSpec checks, recover()'s state-version
// check and decoding, the job map, info() and capabilities(), the noexcept guard around every
// method. The backend writes only what differs: how to start the runner, how to ask about it,
// how to stop it (four hooks), and how its settings and per-job state read and write (three
// free functions the base finds next to the backend's own types, like nlohmann's to_json).
//
// Like spdlog's base_sink: the base takes the lock and checks, then calls the hook — never
// with the lock held, so a hook may run a command or read /proc for as long as the method's
// contract allows (see job_backend.h) while other calls go on.
//
// Header only, standard library only: it is compiled into the module that uses it.
//
//   namespace my {
//   struct Settings { ... };
//   struct Job { ... };
//   // Found by argument-dependent lookup, so they live in the namespace of Settings and Job:
//   bool parse_settings(const std::string& configJson, Settings& out, std::string& why);
//   std::string encode_state(const Job& job);
//   bool decode_state(const std::string& text, Job& out, std::string& why);
//
//   class MyBackend final : public claude_jobs::RunnerBackend<Settings, Job> {
//     public:
//       MyBackend() : RunnerBackend({"my-backend", "1.0", "what it is"}, {true}, 1) {}
//     protected:
//       Result<void> check_health(const Context& context) override;
//       Result<Job> launch(const JobSpec& spec, const Context& context) override;
//       Result<JobStatus> query(const std::string& id, const Job& job, const Context&) override;
//       Result<void> halt(const std::string& id, const Job& job, int grace, const Context&)
//       override;
//   };
//   }
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "claude_jobs/guarded.h"
#include "claude_jobs/job_backend.h"
#include "claude_jobs/job_folder.h"
#include "claude_jobs/process_identity.h"

namespace claude_jobs {

namespace runner_backend_detail {

// The backend's own functions, found by argument-dependent lookup from here, where no other
// function of these names is visible.
template <class Settings>
bool parse(const std::string& configJson, Settings& out, std::string& why) {
    return parse_settings(configJson, out, why);
}
template <class Job>
std::string encode(const Job& job) {
    return encode_state(job);
}
template <class Job>
bool decode(const std::string& text, Job& out, std::string& why) {
    return decode_state(text, out, why);
}

}  // namespace runner_backend_detail

// Settings: what parse_settings(configJson, settings, why) makes of the backend's config
// object ("{}" or "" when it has none): false with a reason naming the key for a bad value and
// for an unknown key (configure() then returns InvalidArgument with it). Copyable.
// Job: what the backend keeps per job; encode_state(job) is the JobHandle::backendState it
// persists (JSON text), decode_state(text, job, why) reads one back — false with a reason for
// anything it cannot trust (it may come from a database row another process wrote). Copyable.
//
// Thread-safe: one mutex guards the configuration and the job map; every hook runs without
// it, on copies. Hooks may throw: the base turns that into an Internal error.
template <class Settings, class Job>
class RunnerBackend : public JobBackendBase {
  public:
    template <class T>
    using Result = claude_jobs::Result<T>;

    // Everything configure() set, handed to the hooks as one immutable snapshot.
    struct Context {
        Settings settings;
        HostContext host;
        std::string bootId;  // this boot's id, read once: it cannot change while we run
    };

    // `info` is what info() says (its plugin name starts every message: "<plugin> is not
    // configured", "<plugin> has no job …"); `capabilities` what capabilities() says unless
    // the backend overrides it; `stateVersion` the JobHandle::stateVersion it writes and reads.
    RunnerBackend(BackendInfo info, Capabilities capabilities, std::uint32_t stateVersion)
        : info_(std::move(info)),
          capabilities_(capabilities),
          stateVersion_(stateVersion),
          context_(std::make_shared<const Context>()) {}

    BackendInfo info() const noexcept final {
        try {
            return info_;
        } catch (...) {
            return {};
        }
    }

    Capabilities capabilities() const noexcept override { return capabilities_; }

    // Parses the settings (InvalidArgument naming the key), then swaps them in at once:
    // calls already running keep the snapshot they started with.
    Result<void> configure(const std::string& configJson, const HostContext& host) noexcept final {
        return guarded(name(), [&]() -> Result<void> {
            Settings settings;
            std::string why;
            if (!runner_backend_detail::parse(configJson, settings, why))
                return make_error(ErrorCode::InvalidArgument, why);
            auto context = std::make_shared<const Context>(
                Context{std::move(settings), host, current_boot_id()});
            {
                std::lock_guard lock(mutex_);
                context_ = context;
                configured_ = true;
            }
            configured(*context);
            return {};
        });
    }

    Result<void> health() noexcept final {
        return guarded(name(), [&]() -> Result<void> {
            auto context = configured_context();
            if (!context) return context.error();
            return check_health(**context);
        });
    }

    Result<JobHandle> start(const JobSpec& spec) noexcept final {
        return guarded(name(), [&]() -> Result<JobHandle> {
            std::shared_ptr<const Context> context;
            {
                std::lock_guard lock(mutex_);
                if (!configured_) return not_configured();
                if (jobs_.count(spec.jobId))
                    return make_error(ErrorCode::AlreadyExists,
                                      "job " + spec.jobId + " was already started");
                context = context_;
            }
            if (auto problem = spec_problem(spec); !problem.empty())
                return make_error(ErrorCode::InvalidArgument, problem);
            auto job = launch(spec, *context);
            if (!job) return job.error();
            JobHandle handle{spec.jobId, context->host.instanceName, stateVersion_,
                             runner_backend_detail::encode(*job)};
            std::lock_guard lock(mutex_);
            jobs_[spec.jobId] = std::move(*job);
            return handle;
        });
    }

    Result<void> recover(const JobHandle& handle) noexcept final {
        return guarded(name(), [&]() -> Result<void> {
            if (handle.stateVersion != stateVersion_)
                return make_error(ErrorCode::InvalidArgument,
                                  "job " + handle.jobId + ": " + name() + " state version " +
                                      std::to_string(handle.stateVersion) +
                                      " is not one this module reads (" +
                                      std::to_string(stateVersion_) + ")");
            if (!job_folder::valid_job_id(handle.jobId))
                return make_error(ErrorCode::InvalidArgument,
                                  "a job handle without a valid job id");
            Job job;
            std::string why;
            if (!runner_backend_detail::decode(handle.backendState, job, why))
                return make_error(
                    ErrorCode::InvalidArgument,
                    "job " + handle.jobId + ": unreadable " + name() + " state: " + why);
            if (auto accepted = recovered(handle.jobId, job); !accepted) return accepted;
            std::lock_guard lock(mutex_);
            jobs_[handle.jobId] = std::move(job);
            return {};
        });
    }

    Result<JobStatus> status(const std::string& jobId) noexcept final {
        return guarded(name(), [&]() -> Result<JobStatus> {
            std::shared_ptr<const Context> context;
            auto job = find(jobId, &context);
            if (!job) return job.error();
            return query(jobId, *job, *context);
        });
    }

    Result<void> stop(const std::string& jobId, int graceSec) noexcept final {
        return guarded(name(), [&]() -> Result<void> {
            std::shared_ptr<const Context> context;
            auto job = find(jobId, &context);
            if (!job) return job.error();
            return halt(jobId, *job, graceSec < 0 ? 0 : graceSec, *context);
        });
    }

    // Forgets the job, then lets release() free what is held for it. Idempotent.
    Result<void> destroy(const std::string& jobId) noexcept final {
        return guarded(name(), [&]() -> Result<void> {
            std::optional<Job> job;
            std::shared_ptr<const Context> context;
            {
                std::lock_guard lock(mutex_);
                context = context_;
                if (auto it = jobs_.find(jobId); it != jobs_.end()) {
                    job = std::move(it->second);
                    jobs_.erase(it);
                }
            }
            return release(jobId, job, *context);
        });
    }

  protected:
    // ---- What the backend writes ---------------------------------------------------------
    // Whether jobs can be started now (Unavailable saying what to do). Only once configured.
    virtual Result<void> check_health(const Context& context) = 0;

    // Starts the job's runner and returns once it runs, with what to keep about it. The spec
    // has passed the base's checks; the id is neither tracked nor being started here.
    virtual Result<Job> launch(const JobSpec& spec, const Context& context) = 0;

    // How a tracked job stands, without blocking.
    virtual Result<JobStatus> query(const std::string& jobId, const Job& job,
                                    const Context& context) = 0;

    // Asks a tracked job to end (graceSec ≥ 0), and returns at once. A job that has ended
    // already is a success that does nothing.
    virtual Result<void> halt(const std::string& jobId, const Job& job, int graceSec,
                              const Context& context) = 0;

    // ---- Optional hooks ------------------------------------------------------------------
    // After a configure() took effect (e.g. start a thread that watches the jobs).
    virtual void configured(const Context& /*context*/) {}
    // A job's state was read back by recover(), before it joins the map: refuse one that is
    // not this job's (InvalidArgument), or note the job (e.g. ask the runtime about it).
    virtual Result<void> recovered(const std::string& /*jobId*/, const Job& /*job*/) { return {}; }
    // After destroy() forgot the job: free what is held for it (a session, a container).
    // `job` is empty for an id this instance did not track.
    virtual Result<void> release(const std::string& /*jobId*/, const std::optional<Job>& /*job*/,
                                 const Context& /*context*/) {
        return {};
    }

    // ---- For the backend -------------------------------------------------------------------
    // The plugin's name, for messages.
    const char* name() const { return info_.plugin.c_str(); }

    // The configuration now; Unavailable "<name> is not configured" before configure().
    Result<std::shared_ptr<const Context>> configured_context() const {
        std::lock_guard lock(mutex_);
        if (!configured_) return not_configured();
        return context_;
    }

    // The configuration now, configured or not (then: default settings, an empty host).
    std::shared_ptr<const Context> context() const {
        std::lock_guard lock(mutex_);
        return context_;
    }

    // A tracked job (a copy); NotFound for an id neither started nor recovered here.
    Result<Job> find(const std::string& jobId,
                     std::shared_ptr<const Context>* context = nullptr) const {
        std::lock_guard lock(mutex_);
        auto it = jobs_.find(jobId);
        if (it == jobs_.end())
            return make_error(ErrorCode::NotFound, info_.plugin + " has no job " + jobId +
                                                       " (neither started nor recovered)");
        if (context) *context = context_;
        return it->second;
    }

    // Every tracked job (copies), by id.
    std::map<std::string, Job> jobs() const {
        std::lock_guard lock(mutex_);
        return jobs_;
    }

    // What the base refuses before launch() is called; "" for a spec it accepts.
    static std::string spec_problem(const JobSpec& spec) {
        auto absolute = [](const std::string& path) { return !path.empty() && path[0] == '/'; };
        if (!job_folder::valid_job_id(spec.jobId) || !absolute(spec.jobDir) ||
            !absolute(spec.workFolder) || spec.claudePath.empty())
            return "a job needs a valid id, an absolute job folder, an absolute work folder and "
                   "a program to run";
        return "";
    }

  private:
    Error not_configured() const {
        return make_error(ErrorCode::Unavailable, info_.plugin + " is not configured");
    }

    const BackendInfo info_;
    const Capabilities capabilities_;
    const std::uint32_t stateVersion_;
    mutable std::mutex mutex_;
    bool configured_ = false;
    std::shared_ptr<const Context> context_;
    std::map<std::string, Job> jobs_;
};

// The common case: the runner is a process on this machine that the backend starts itself,
// detached. Then asking about it and stopping it are the same for every such backend, and
// only launch() is left to write (how the process is started: posix_spawn, fork with limits).
// Job must have `ProcessIdentity runner` (pid + start time + boot id, taken at launch) and
// `std::string jobDir`. The hooks below may be overridden and called from the override.
template <class Settings, class Job>
class LocalRunnerBackend : public RunnerBackend<Settings, Job> {
    using Base = RunnerBackend<Settings, Job>;

  public:
    using Base::Base;

  protected:
    using typename Base::Context;

    // The runner can be run from here (check_runner) and /proc is readable (check_procfs).
    Result<void> check_health(const Context& context) override {
        if (auto problem = check_runner(context.host.runnerPath); !problem) return problem;
        return check_procfs(this->name(), context.bootId);
    }

    // Running while the runner is the same process in this boot; else Lost (runner_status).
    Result<JobStatus> query(const std::string& /*jobId*/, const Job& job,
                            const Context& context) override {
        return runner_status(job.runner, context.bootId);
    }

    // The cancel request, then SIGTERM to the runner; the group of a job whose runner is gone
    // is killed (stop_runner).
    Result<void> halt(const std::string& /*jobId*/, const Job& job, int graceSec,
                      const Context& context) override {
        stop_runner(job.runner, job.jobDir, graceSec, context.bootId);
        return {};
    }
};

}  // namespace claude_jobs

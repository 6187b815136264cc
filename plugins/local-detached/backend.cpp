// LocalBackend (see backend.h): launching detached supervisors, following them by pid + start
// time + boot id, and stopping them through the supervisor so the whole job ends.
#include "backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/guarded.h"
#include "common/process_identity.h"
#include "common/runner_files.h"
#include "launch.h"

#ifndef LOCAL_DETACHED_VERSION
#define LOCAL_DETACHED_VERSION "0.0.0"
#endif

namespace cj::local_detached {

namespace {

using namespace cj::plugin_common;
using claude_jobs::Capabilities;
using claude_jobs::ErrorCode;
using claude_jobs::JobHandle;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;

constexpr int kMaxNiceness = 19;

const char kReinstallHint[] =
    "reinstall claude-jobs so that claude-jobs-runner sits beside the claude-jobs binary";

const char kWho[] = "local-detached";  // starts the message of an unexpected failure

bool valid_env_name(const std::string& name) {
    return !name.empty() && name.find('=') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

std::string lost_reason(const RunnerState& job, bool rebooted) {
    std::string reason =
        "supervisor (pid " + std::to_string(job.runnerPid) + ") vanished without recording an exit";
    if (rebooted) reason += ": the machine was rebooted";
    return reason;
}

}  // namespace

claude_jobs::BackendInfo LocalBackend::info() const noexcept {
    try {
        return {"local-detached", LOCAL_DETACHED_VERSION,
                "a detached supervisor process on this machine; jobs survive server restarts"};
    } catch (...) {
        return {};
    }
}

Result<void> LocalBackend::configure(const std::string& configJson,
                                     const claude_jobs::HostContext& host) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        auto config = configJson.empty() ? nlohmann::json::object()
                                         : nlohmann::json::parse(configJson, nullptr, false);
        if (config.is_discarded() || !config.is_object()) {
            return make_error(ErrorCode::InvalidArgument,
                              "local-detached settings must be a JSON object");
        }
        Settings settings;
        for (const auto& [key, value] : config.items()) {
            if (key == "niceness") {
                if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                    value.get<std::int64_t>() > kMaxNiceness) {
                    return make_error(
                        ErrorCode::InvalidArgument,
                        "niceness: expected an integer from 0 to 19, got " + value.dump());
                }
                settings.niceness = value.get<int>();
            } else if (key == "env") {
                if (!value.is_object()) {
                    return make_error(ErrorCode::InvalidArgument,
                                      "env: expected an object of strings, got " + value.dump());
                }
                for (const auto& [name, text] : value.items()) {
                    if (!valid_env_name(name) || !text.is_string()) {
                        return make_error(
                            ErrorCode::InvalidArgument,
                            "env." + name + ": expected a variable name with a string value");
                    }
                    settings.env.emplace_back(name, text.get<std::string>());
                }
            } else {
                return make_error(ErrorCode::InvalidArgument,
                                  "unknown key \"" + key + "\" (known: niceness, env)");
            }
        }
        std::string bootId = current_boot_id();
        std::lock_guard lock(mutex_);
        host_ = host;
        settings_ = std::move(settings);
        bootId_ = std::move(bootId);
        configured_ = true;
        return {};
    });
}

Capabilities LocalBackend::capabilities() const noexcept {
    Capabilities caps;
    caps.survivesServerRestart = true;
    return caps;
}

Result<void> LocalBackend::health() noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        std::string runner;
        std::string bootId;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) {
                return make_error(ErrorCode::Unavailable, "local-detached is not configured");
            }
            runner = host_.runnerPath;
            bootId = bootId_;
        }
        if (runner.empty() || runner.front() != '/') {
            return make_error(ErrorCode::Unavailable,
                              "no absolute path to claude-jobs-runner was given (\"" + runner +
                                  "\"); " + kReinstallHint);
        }
        struct stat info {};
        if (::stat(runner.c_str(), &info) != 0) {
            int error = errno;
            return make_error(ErrorCode::Unavailable,
                              "cannot run claude-jobs-runner at " + runner + ": " +
                                  std::strerror(error) + "; " + kReinstallHint,
                              error);
        }
        if (!S_ISREG(info.st_mode)) {
            return make_error(ErrorCode::Unavailable, "cannot run claude-jobs-runner at " + runner +
                                                          ": not a regular file; " +
                                                          kReinstallHint);
        }
        if (::access(runner.c_str(), X_OK) != 0) {
            int error = errno;
            return make_error(ErrorCode::Unavailable,
                              "cannot run claude-jobs-runner at " + runner + ": " +
                                  std::strerror(error) + "; make it executable (chmod +x " +
                                  runner + ")",
                              error);
        }
        if (bootId.empty() || !read_proc_stat(::getpid())) {
            return make_error(ErrorCode::Unavailable,
                              "local-detached follows its jobs through /proc, which is not "
                              "readable here; mount procfs");
        }
        return {};
    });
}

Result<JobHandle> LocalBackend::start(const claude_jobs::JobSpec& spec) noexcept {
    return guarded(kWho, [&]() -> Result<JobHandle> {
        claude_jobs::HostContext host;
        int niceness = 0;
        std::string bootId;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) {
                return make_error(ErrorCode::Unavailable, "local-detached is not configured");
            }
            if (jobs_.count(spec.jobId)) {
                return make_error(ErrorCode::AlreadyExists,
                                  "job " + spec.jobId + " was already started");
            }
            host = host_;
            niceness = settings_.niceness;
            bootId = bootId_;
        }
        if (spec.jobId.empty() || spec.jobDir.empty() || spec.jobDir.front() != '/' ||
            spec.workFolder.empty() || spec.claudePath.empty()) {
            return make_error(ErrorCode::InvalidArgument,
                              "a job needs an id, an absolute job folder, a work folder and a "
                              "program to run");
        }
        if (host.runnerPath.empty() || host.runnerPath.front() != '/') {
            return make_error(ErrorCode::Unavailable,
                              "no absolute path to claude-jobs-runner was given (\"" +
                                  host.runnerPath + "\"); " + kReinstallHint);
        }
        std::vector<std::string> argv = {host.runnerPath,
                                         "--job-dir",
                                         spec.jobDir,
                                         "--cwd",
                                         spec.workFolder,
                                         "--timeout",
                                         std::to_string(spec.timeoutSec),
                                         "--",
                                         spec.claudePath};
        argv.insert(argv.end(), spec.claudeArgs.begin(), spec.claudeArgs.end());
        if (niceness > 0) argv.insert(argv.begin() + 1, {"--nice", std::to_string(niceness)});
        auto launched = launch_detached(host.runnerPath, argv, job_environment(spec.env), reaper_);
        if (!launched) return launched.error();

        RunnerState state{launched->pid, launched->startTime, bootId, spec.jobDir};
        {
            std::lock_guard lock(mutex_);
            jobs_[spec.jobId] = state;
        }
        return JobHandle{spec.jobId, host.instanceName, kStateVersion, encode_state(state)};
    });
}

Result<void> LocalBackend::recover(const JobHandle& handle) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        if (handle.stateVersion != kStateVersion) {
            return make_error(ErrorCode::InvalidArgument,
                              "job " + handle.jobId + ": local-detached state version " +
                                  std::to_string(handle.stateVersion) + " is not one this " +
                                  "module reads (" + std::to_string(kStateVersion) + ")");
        }
        if (handle.jobId.empty()) {
            return make_error(ErrorCode::InvalidArgument, "a job handle without a job id");
        }
        RunnerState state;
        std::string why;
        if (!decode_state(handle.backendState, state, why)) {
            return make_error(ErrorCode::InvalidArgument,
                              "job " + handle.jobId + ": unreadable local-detached state: " + why);
        }
        std::lock_guard lock(mutex_);
        jobs_[handle.jobId] = std::move(state);
        return {};
    });
}

bool LocalBackend::started_before_reboot(const RunnerState& job) const {
    std::lock_guard lock(mutex_);
    return !job.bootId.empty() && !bootId_.empty() && job.bootId != bootId_;
}

Result<JobStatus> LocalBackend::status(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<JobStatus> {
        auto found = find(jobId);
        if (!found) return found.error();
        const RunnerState& job = *found;
        bool rebooted = started_before_reboot(job);
        JobStatus status;
        if (!rebooted && is_same_process(static_cast<pid_t>(job.runnerPid), job.runnerStartTime)) {
            status.state = RunState::Running;
            return status;
        }
        status.state = RunState::Lost;
        status.reason = lost_reason(job, rebooted);
        return status;
    });
}

Result<void> LocalBackend::stop(const std::string& jobId, int graceSec) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        auto found = find(jobId);
        if (!found) return found.error();
        const RunnerState& job = *found;
        // Nothing started before a reboot can still be running.
        if (started_before_reboot(job)) return {};

        auto pid = static_cast<pid_t>(job.runnerPid);
        if (is_same_process(pid, job.runnerStartTime)) {
            // The request tells the runner the grace to give before SIGKILL. If it cannot be
            // written the runner still ends the job on SIGTERM, with its default grace: a
            // cancel must not fail over a file.
            write_cancel_request(job.jobDir, graceSec < 0 ? 0 : graceSec);
            if (signal_if_same(pid, job.runnerStartTime, SIGTERM)) return {};
            // It ended between the check and the signal; make sure its job did too.
        }
        kill_abandoned_job(job.jobDir);
        return {};
    });
}

Result<void> LocalBackend::destroy(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        std::lock_guard lock(mutex_);
        jobs_.erase(jobId);
        return {};
    });
}

Result<RunnerState> LocalBackend::find(const std::string& jobId) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(jobId);
    if (it == jobs_.end()) {
        return make_error(ErrorCode::NotFound, "local-detached has no job " + jobId +
                                                   " (neither started nor recovered)");
    }
    return it->second;
}

std::vector<std::string> LocalBackend::job_environment(const std::vector<std::string>& base) const {
    std::vector<std::pair<std::string, std::string>> extra;
    {
        std::lock_guard lock(mutex_);
        extra = settings_.env;
    }
    std::vector<std::string> env;
    env.reserve(base.size() + extra.size());
    for (const auto& entry : base) {
        bool replaced = false;
        for (const auto& [name, value] : extra) {
            if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
                entry[name.size()] == '=') {
                replaced = true;
                break;
            }
        }
        if (!replaced) env.push_back(entry);
    }
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return env;
}

}  // namespace cj::local_detached

// GentleBackend (see backend.h): launching supervisors gently, following them by pid + start
// time + boot id, stopping them through the supervisor so the whole job ends.
#include "backend.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "launch.h"

#ifndef GENTLE_VERSION
#define GENTLE_VERSION "0.0.0"
#endif

namespace gentle {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::JobHandle;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;
using nlohmann::json;

constexpr std::uint32_t kStateVersion = 1;

// Every method is noexcept: what could throw here (allocation, a JSON type error) becomes an
// Internal error rather than a terminate().
template <class Body>
auto guarded(Body&& body) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const std::exception& e) {
        return make_error(ErrorCode::Internal, std::string("gentle: ") + e.what());
    } catch (...) {
        return make_error(ErrorCode::Internal, "gentle: unexpected failure");
    }
}

std::string encode_state(const JobState& state) {
    return json{{"pid", state.supervisor.pid},
                {"startTime", state.supervisor.startTime},
                {"bootId", state.bootId},
                {"jobDir", state.jobDir}}
        .dump();
}

bool decode_state(const std::string& text, JobState& out) {
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded() || !state.is_object()) return false;
    const auto pid = state.find("pid");
    const auto start = state.find("startTime");
    const auto boot = state.find("bootId");
    const auto dir = state.find("jobDir");
    if (pid == state.end() || !pid->is_number_integer() || start == state.end() ||
        !start->is_number_unsigned() || boot == state.end() || !boot->is_string() ||
        dir == state.end() || !dir->is_string() || dir->get<std::string>().empty() ||
        dir->get<std::string>().front() != '/') {
        return false;
    }
    out.supervisor = {pid->get<pid_t>(), start->get<std::uint64_t>()};
    out.bootId = boot->get<std::string>();
    out.jobDir = dir->get<std::string>();
    return true;
}

// The supervisor's exit record, as far as status() reports it.
std::optional<JobStatus> recorded_end(const std::string& jobDir) {
    auto text = read_small_file(jobDir + "/exit.json");
    if (!text) return std::nullopt;
    json record = json::parse(*text, nullptr, false);
    JobStatus status;
    status.state = RunState::Exited;
    if (record.is_object()) {
        if (record.value("exitCode", json()).is_number_integer())
            status.exitCode = record["exitCode"];
        if (record.value("signal", json()).is_number_integer()) status.signal = record["signal"];
        if (record.value("reason", json()).is_string()) status.reason = record["reason"];
    }
    return status;
}

// The supervisor is gone without a record (killed with SIGKILL, say) and may have left the
// job running: end its process group, but only if the group's leader is still the process
// the supervisor recorded.
void end_abandoned_job(const std::string& jobDir) {
    auto text = read_small_file(jobDir + "/runner.json");
    if (!text) return;
    json record = json::parse(*text, nullptr, false);
    if (!record.is_object() || !record.value("childPid", json()).is_number_integer() ||
        !record.value("childStartTime", json()).is_number_integer()) {
        return;
    }
    ProcessIdentity child{record["childPid"].get<pid_t>(),
                          record["childStartTime"].get<std::uint64_t>()};
    auto stat = read_proc_stat(child.pid);
    if (!stat || stat->startTime != child.startTime || stat->pgrp != child.pid) return;
    ::kill(-child.pid, SIGKILL);
}

}  // namespace

claude_jobs::BackendInfo GentleBackend::info() const noexcept {
    try {
        return {"gentle", GENTLE_VERSION,
                "a detached supervisor at low CPU and I/O priority, with optional resource "
                "limits; jobs survive server restarts"};
    } catch (...) {
        return {};
    }
}

Result<void> GentleBackend::configure(const std::string& configJson,
                                      const claude_jobs::HostContext& host) noexcept {
    return guarded([&]() -> Result<void> {
        Settings settings;
        std::string error;
        if (!parse_settings(configJson, settings, error)) {
            return make_error(ErrorCode::InvalidArgument, error);
        }
        std::string boot = boot_id();
        std::lock_guard lock(mutex_);
        host_ = host;
        settings_ = settings;
        bootId_ = boot;
        configured_ = true;
        return {};
    });
}

claude_jobs::Capabilities GentleBackend::capabilities() const noexcept {
    claude_jobs::Capabilities caps;
    caps.survivesServerRestart = true;
    return caps;
}

Result<void> GentleBackend::health() noexcept {
    return guarded([&]() -> Result<void> {
        std::string runner;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) return make_error(ErrorCode::Unavailable, "gentle is not configured");
            runner = host_.runnerPath;
        }
        if (runner.empty() || runner.front() != '/' || ::access(runner.c_str(), X_OK) != 0) {
            return make_error(ErrorCode::Unavailable,
                              "cannot run claude-jobs-runner at \"" + runner +
                                  "\"; reinstall claude-jobs so that it sits beside the server");
        }
        if (boot_id().empty() || !read_proc_stat(::getpid())) {
            return make_error(ErrorCode::Unavailable,
                              "gentle follows its jobs through /proc, which is not readable here");
        }
        // Linux has had I/O priorities since 2.6.13; a seccomp filter may still forbid them.
        if (::syscall(SYS_ioprio_get, 1, 0) < 0) {
            int error = errno;
            return make_error(ErrorCode::Unavailable,
                              std::string("I/O priorities are not available here (ioprio_get: ") +
                                  std::strerror(error) + ")",
                              error);
        }
        return {};
    });
}

Result<JobHandle> GentleBackend::start(const claude_jobs::JobSpec& spec) noexcept {
    return guarded([&]() -> Result<JobHandle> {
        claude_jobs::HostContext host;
        Settings settings;
        std::string boot;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) return make_error(ErrorCode::Unavailable, "gentle is not configured");
            if (jobs_.count(spec.jobId)) {
                return make_error(ErrorCode::AlreadyExists,
                                  "job " + spec.jobId + " was already started");
            }
            host = host_;
            settings = settings_;
            boot = bootId_;
        }
        if (spec.jobId.empty() || spec.jobDir.empty() || spec.jobDir.front() != '/' ||
            spec.workFolder.empty() || spec.claudePath.empty()) {
            return make_error(ErrorCode::InvalidArgument,
                              "a job needs an id, an absolute job folder, a work folder and a "
                              "program to run");
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
        auto launched = launch_gently(host.runnerPath, argv, spec.env, settings);
        if (!launched) return launched.error();
        JobState state{*launched, boot, spec.jobDir};
        {
            std::lock_guard lock(mutex_);
            jobs_[spec.jobId] = state;
        }
        return JobHandle{spec.jobId, host.instanceName, kStateVersion, encode_state(state)};
    });
}

Result<void> GentleBackend::recover(const JobHandle& handle) noexcept {
    return guarded([&]() -> Result<void> {
        if (handle.jobId.empty()) {
            return make_error(ErrorCode::InvalidArgument, "a job handle without a job id");
        }
        if (handle.stateVersion != kStateVersion) {
            return make_error(ErrorCode::InvalidArgument, "job " + handle.jobId +
                                                              ": gentle state version " +
                                                              std::to_string(handle.stateVersion) +
                                                              " is not one this module reads (" +
                                                              std::to_string(kStateVersion) + ")");
        }
        JobState state;
        if (!decode_state(handle.backendState, state)) {
            return make_error(
                ErrorCode::InvalidArgument,
                "job " + handle.jobId + ": unreadable gentle state: " + handle.backendState);
        }
        std::lock_guard lock(mutex_);
        jobs_[handle.jobId] = state;
        return {};
    });
}

Result<JobStatus> GentleBackend::status(const std::string& jobId) noexcept {
    return guarded([&]() -> Result<JobStatus> {
        auto found = find(jobId);
        if (!found) return found.error();
        const JobState& job = *found;
        bool sameBoot = job.bootId == boot_id();
        if (sameBoot && is_alive(job.supervisor)) return JobStatus{};
        if (auto ended = recorded_end(job.jobDir)) return *ended;
        JobStatus lost;
        lost.state = RunState::Lost;
        lost.reason = "supervisor (pid " + std::to_string(job.supervisor.pid) +
                      ") vanished without recording an exit" +
                      (sameBoot ? "" : ": the machine was rebooted");
        return lost;
    });
}

Result<void> GentleBackend::stop(const std::string& jobId, int graceSec) noexcept {
    return guarded([&]() -> Result<void> {
        auto found = find(jobId);
        if (!found) return found.error();
        const JobState& job = *found;
        if (job.bootId != boot_id()) return {};  // nothing from before a reboot still runs
        if (is_alive(job.supervisor)) {
            // The supervisor reads the grace from cancel.json when SIGTERM arrives; without the
            // file it still ends the job, with its default grace.
            write_file_atomically(job.jobDir, "cancel.json",
                                  json{{"graceSec", graceSec < 0 ? 0 : graceSec}}.dump());
            if (signal_exactly(job.supervisor, SIGTERM)) return {};
        }
        if (!read_small_file(job.jobDir + "/exit.json")) end_abandoned_job(job.jobDir);
        return {};
    });
}

Result<void> GentleBackend::destroy(const std::string& jobId) noexcept {
    return guarded([&]() -> Result<void> {
        std::lock_guard lock(mutex_);
        jobs_.erase(jobId);
        return {};
    });
}

Result<JobState> GentleBackend::find(const std::string& jobId) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(jobId);
    if (it == jobs_.end()) {
        return make_error(ErrorCode::NotFound,
                          "gentle has no job " + jobId + " (neither started nor recovered)");
    }
    return it->second;
}

}  // namespace gentle

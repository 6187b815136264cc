// ContainerBackend (see backend.h): launching a job's container, following it through the
// runtime's `inspect`, stopping and removing it.
#include "backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/guarded.h"
#include "common/runner_files.h"
#include "host_files.h"
#include "run_args.h"

#ifndef CONTAINER_BACKEND_VERSION
#define CONTAINER_BACKEND_VERSION "0.0.0"
#endif

namespace cj::container {

namespace {

using claude_jobs::Capabilities;
using claude_jobs::ErrorCode;
using claude_jobs::JobHandle;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;
using namespace std::chrono_literals;

constexpr auto kRunTimeout = 120s;        // `run --detach`: an image's first use may be slow
constexpr auto kQueryTimeout = 15s;       // inspect, info
constexpr auto kFresh = 500ms;            // an inspect answer younger than this is current
constexpr auto kMinPollInterval = 500ms;  // at most two inspects a second
constexpr auto kHealthyFor = 30s;
constexpr auto kUnhealthyFor = 3s;
// `stop` waits this much longer than the job's grace before its SIGKILL, so that the
// supervisor (which gives the job the grace) can still write the exit record.
constexpr int kStopMarginSec = 5;

using cj::plugin_common::guarded;

const char kWho[] = "container";  // starts the message of an unexpected failure

bool valid_job_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return false;
    return std::isalnum(static_cast<unsigned char>(id.front()));
}

// The first lines of a runtime's complaint, on one line, for an error message.
std::string first_lines(const std::string& text, std::size_t limit = 400) {
    std::string out;
    for (char c : text) {
        if (out.size() >= limit) {
            out += "...";
            break;
        }
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string command_failure(const std::string& what, const CommandOutput& out) {
    if (!out.started) return what + " could not be run: " + std::strerror(out.spawnError);
    if (out.timedOut) return what + " did not answer in time";
    std::string text = first_lines(out.err.empty() ? out.out : out.err);
    return what + " failed (exit code " + std::to_string(out.exitCode) + ")" +
           (text.empty() ? "" : ": " + text);
}

bool mentions_missing_image(const std::string& text) {
    for (const char* hint : {"image not known", "No such image", "no such image",
                             "unable to find image", "Unable to find image", "pull access"})
        if (text.find(hint) != std::string::npos) return true;
    return false;
}

std::string image_hint(const std::string& runtime, const std::string& image) {
    return "build it from the Containerfile shipped with claude-jobs (" + runtime + " build -t " +
           image + " -f Containerfile .; see docs/backends/container.md)";
}

std::string home_dir() {
    const char* home = std::getenv("HOME");
    return home && home[0] == '/' ? home : "";
}

}  // namespace

ContainerBackend::~ContainerBackend() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    pollWake_.notify_all();
    if (poller_.joinable()) poller_.join();
}

claude_jobs::BackendInfo ContainerBackend::info() const noexcept {
    try {
        return {"container", CONTAINER_BACKEND_VERSION,
                "each job in its own Docker or Podman container that sees only its work folder"};
    } catch (...) {
        return {};
    }
}

Result<void> ContainerBackend::configure(const std::string& configJson,
                                         const claude_jobs::HostContext& host) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        auto settings = parse_settings(configJson);
        if (!settings) return settings.error();
        std::string runtime;
        if (settings->runtime == "auto") {
            runtime = find_program("podman");
            if (runtime.empty()) runtime = find_program("docker");
        } else {
            runtime = find_program(settings->runtime);
        }
        std::lock_guard lock(mutex_);
        host_ = host;
        settings_ = std::move(*settings);
        runtime_ = std::move(runtime);
        health_ = {};
        configured_ = true;
        if (!poller_.joinable()) poller_ = std::thread([this] { poll_loop(); });
        return {};
    });
}

Capabilities ContainerBackend::capabilities() const noexcept {
    Capabilities caps;
    caps.survivesServerRestart = true;
    return caps;
}

Result<void> ContainerBackend::check_health(const std::string& runtime, const std::string& image,
                                            const std::string& runnerPath) const {
    if (runtime.empty()) {
        std::string wanted = settings_.runtime == "auto" ? "podman or docker" : settings_.runtime;
        return make_error(ErrorCode::Unavailable,
                          "no container runtime: " + wanted +
                              " was not found on PATH; install it (e.g. apt-get install podman) "
                              "or set \"runtime\" to its path");
    }
    if (::access(runtime.c_str(), X_OK) != 0) {
        return make_error(ErrorCode::Unavailable, "the container runtime " + runtime +
                                                      " cannot be run: " + std::strerror(errno));
    }
    if (runnerPath.empty() || runnerPath.front() != '/' ||
        ::access(runnerPath.c_str(), R_OK) != 0) {
        return make_error(ErrorCode::Unavailable,
                          "claude-jobs-runner is not at \"" + runnerPath +
                              "\"; reinstall claude-jobs so that it sits beside the binary");
    }
    auto info = run_captured({runtime, "info"}, kQueryTimeout);
    if (!info.started || info.timedOut || info.exitCode != 0) {
        return make_error(ErrorCode::Unavailable, "the container runtime is not working: " +
                                                      command_failure(runtime + " info", info));
    }
    auto found =
        run_captured({runtime, "image", "inspect", "--format", "{{.Id}}", image}, kQueryTimeout);
    if (!found.started || found.timedOut || found.exitCode != 0) {
        if (found.started && !found.timedOut)
            return make_error(ErrorCode::Unavailable, "the image " + image + " is not there; " +
                                                          image_hint(runtime, image));
        return make_error(ErrorCode::Unavailable,
                          command_failure(runtime + " image inspect " + image, found));
    }
    return {};
}

Result<void> ContainerBackend::health() noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        {
            std::lock_guard lock(mutex_);
            if (!configured_)
                return make_error(ErrorCode::Unavailable, "container is not configured");
            auto age = std::chrono::steady_clock::now() - health_.at;
            // Healthy: answer at once, re-checking in the background when the answer is old.
            // Unhealthy: a person is likely fixing it; check again in line once it is stale.
            if (health_.checked && health_.result) {
                if (age >= kHealthyFor && !healthWanted_) {
                    healthWanted_ = true;
                    pollWake_.notify_all();
                }
                return health_.result;
            }
            if (health_.checked && age < kUnhealthyFor) return health_.result;
        }
        refresh_health();
        std::lock_guard lock(mutex_);
        return health_.result;
    });
}

void ContainerBackend::refresh_health() {
    std::string runtime, image, runner;
    {
        std::lock_guard lock(mutex_);
        runtime = runtime_;
        image = settings_.image;
        runner = host_.runnerPath;
    }
    auto result = check_health(runtime, image, runner);
    std::lock_guard lock(mutex_);
    health_ = {true, std::chrono::steady_clock::now(), result};
}

Result<JobHandle> ContainerBackend::start(const claude_jobs::JobSpec& spec) noexcept {
    return guarded(kWho, [&]() -> Result<JobHandle> {
        Settings settings;
        claude_jobs::HostContext host;
        std::string runtime;
        {
            std::lock_guard lock(mutex_);
            if (!configured_)
                return make_error(ErrorCode::Unavailable, "container is not configured");
            if (jobs_.count(spec.jobId))
                return make_error(ErrorCode::AlreadyExists,
                                  "job " + spec.jobId + " was already started");
            settings = settings_;
            host = host_;
            runtime = runtime_;
        }
        if (!valid_job_id(spec.jobId) || spec.jobDir.empty() || spec.jobDir.front() != '/' ||
            spec.workFolder.empty() || spec.workFolder.front() != '/') {
            return make_error(ErrorCode::InvalidArgument,
                              "a job needs a valid id, an absolute job folder and an absolute "
                              "work folder");
        }
        if (runtime.empty()) return check_health(runtime, settings.image, host.runnerPath).error();

        RunInputs in;
        in.runtime = runtime;
        in.instance = host.instanceName;
        in.runnerPath = host.runnerPath;
        in.user = settings.user.empty()
                      ? std::to_string(::getuid()) + ":" + std::to_string(::getgid())
                      : settings.user;
        std::string home = home_dir();
        if (settings.mountClaudeConfig && !home.empty()) {
            struct stat info {};
            for (const char* name : {"/.claude", "/.claude.json"})
                if (::stat((home + name).c_str(), &info) == 0)
                    in.claudeConfig.push_back(home + name);
        }
        // Rootless podman maps the container's users onto sub-ids; keep-id maps the server's
        // own uid onto itself, so the job's files in the work folder stay the user's.
        bool podman = runtime.find("podman") != std::string::npos;
        in.keepUserNamespace = podman && ::geteuid() != 0 && settings.user.empty();

        if (auto handed = hand_job_dir_to(spec.jobDir, parse_user(in.user)); !handed)
            return handed.error();

        std::vector<std::string> extra = {"IS_SANDBOX=1"};
        if (settings.mountClaudeConfig && !home.empty()) extra.push_back("HOME=" + home);
        auto text = env_file_text(settings.env, spec.env, extra);
        if (!text) return text.error();
        EnvFile envFile;
        if (auto written = envFile.write(host.stateDir, spec.jobId, *text); !written)
            return written.error();
        in.envFile = envFile.path();

        auto argv = build_run_argv(settings, spec, in);
        if (!argv) return argv.error();
        auto ran = run_captured(*argv, kRunTimeout);
        if (!ran.started || ran.timedOut || ran.exitCode != 0) {
            // It may have been created before it failed to start: leave nothing behind.
            background_.start({runtime, "rm", "--force", container_name(spec.jobId)});
            std::string why = command_failure(runtime + " run", ran);
            if (mentions_missing_image(ran.err))
                why += "; the image " + settings.image +
                       " is missing: " + image_hint(runtime, settings.image);
            return make_error(ErrorCode::Unavailable, why);
        }
        JobState state{container_name(spec.jobId), first_lines(ran.out, 128), runtime, spec.jobDir};
        {
            std::lock_guard lock(mutex_);
            Job& job = jobs_[spec.jobId];
            job.state = state;
            job.seen =
                ContainerState{ContainerState::Kind::Running, "running", -1, false, spec.jobId};
            job.seenAt = std::chrono::steady_clock::now();
        }
        return JobHandle{spec.jobId, host.instanceName, kStateVersion, encode_state(state)};
    });
}

Result<void> ContainerBackend::recover(const JobHandle& handle) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        if (handle.stateVersion != kStateVersion) {
            return make_error(ErrorCode::InvalidArgument, "job " + handle.jobId +
                                                              ": container state version " +
                                                              std::to_string(handle.stateVersion) +
                                                              " is not one this module reads (" +
                                                              std::to_string(kStateVersion) + ")");
        }
        if (!valid_job_id(handle.jobId))
            return make_error(ErrorCode::InvalidArgument, "a job handle without a valid job id");
        JobState state;
        std::string why;
        if (!decode_state(handle.backendState, state, why) ||
            state.container != container_name(handle.jobId)) {
            return make_error(ErrorCode::InvalidArgument,
                              "job " + handle.jobId + ": unreadable container state: " +
                                  (why.empty() ? "the container is not the job's" : why));
        }
        {
            std::lock_guard lock(mutex_);
            Job& job = jobs_[handle.jobId];
            job.state = std::move(state);
            job.seen.reset();  // unknown until the next inspect
            pollWanted_ = true;
        }
        pollWake_.notify_all();
        return {};
    });
}

Result<JobStatus> ContainerBackend::status(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<JobStatus> {
        std::optional<ContainerState> seen;
        std::string name;
        {
            std::lock_guard lock(mutex_);
            auto it = jobs_.find(jobId);
            if (it == jobs_.end())
                return make_error(ErrorCode::NotFound, "container has no job " + jobId +
                                                           " (neither started nor recovered)");
            seen = it->second.seen;
            name = it->second.state.container;
            if (!seen || std::chrono::steady_clock::now() - it->second.seenAt >= kFresh) {
                pollWanted_ = true;
                pollWake_.notify_all();
            }
        }
        JobStatus status;
        // Not inspected yet (just recovered): running until the runtime says otherwise.
        if (!seen) return status;
        // Found by name, but recovered from the label: a container of that name that does not
        // carry this job's label is someone else's, and says nothing about the job.
        if (seen->kind != ContainerState::Kind::Gone && seen->jobLabel != jobId) {
            status.state = RunState::Lost;
            status.reason = "the container named " + name + " is not this job's (its label " +
                            "claude-jobs.job is \"" + seen->jobLabel + "\")";
            return status;
        }
        if (seen->kind == ContainerState::Kind::Running) return status;
        if (seen->kind == ContainerState::Kind::Gone) {
            status.state = RunState::Lost;
            status.reason = "its container " + name +
                            " was removed by someone else before the job's exit was recorded";
            return status;
        }
        status.state = RunState::Exited;
        // The supervisor is the container's first process; a code over 128 without its
        // record means it was killed (e.g. `kill` from outside, or the memory limit).
        if (seen->exitCode > 128 && seen->exitCode < 128 + 65) {
            status.signal = seen->exitCode - 128;
        } else {
            status.exitCode = seen->exitCode;
        }
        status.reason = "its container " + name + " ended (" + seen->status + ", exit code " +
                        std::to_string(seen->exitCode) + ")" +
                        (seen->oomKilled ? " after running out of memory" : "") +
                        " without an exit record";
        return status;
    });
}

Result<void> ContainerBackend::stop(const std::string& jobId, int graceSec) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        JobState state;
        {
            std::lock_guard lock(mutex_);
            auto it = jobs_.find(jobId);
            if (it == jobs_.end())
                return make_error(ErrorCode::NotFound, "container has no job " + jobId +
                                                           " (neither started nor recovered)");
            const auto& seen = it->second.seen;
            // Already over, or a container of that name that is not this job's.
            if (seen && (seen->kind != ContainerState::Kind::Running || seen->jobLabel != jobId))
                return {};
            state = it->second.state;
        }
        int grace = graceSec < 0 ? 0 : graceSec;
        // Readable by all (inside the private job folder): the supervisor may run as the
        // container's user, not the server's. The same request the local backend leaves.
        cj::plugin_common::write_cancel_request(state.jobDir, grace, 0644);
        // The runtime sends SIGTERM to the supervisor, which ends the job's whole group
        // (SIGKILL after the grace) and records the exit; the runtime's own SIGKILL comes
        // only if the supervisor is stuck.
        if (!background_.start({state.runtime, "stop", "--time",
                                std::to_string(grace + kStopMarginSec), state.container})) {
            return make_error(ErrorCode::Internal,
                              "cannot start `" + state.runtime + " stop`: " + std::strerror(errno));
        }
        return {};
    });
}

Result<void> ContainerBackend::destroy(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        if (!valid_job_id(jobId)) return {};
        std::string runtime;
        {
            std::lock_guard lock(mutex_);
            auto it = jobs_.find(jobId);
            runtime = it != jobs_.end() ? it->second.state.runtime : runtime_;
            if (it != jobs_.end()) {
                const auto& seen = it->second.seen;
                bool someoneElses =
                    seen && seen->kind != ContainerState::Kind::Gone && seen->jobLabel != jobId;
                if (someoneElses) runtime.clear();  // not ours to remove
                jobs_.erase(it);
            }
        }
        if (runtime.empty()) return {};
        if (!background_.start({runtime, "rm", "--force", container_name(jobId)})) {
            return make_error(ErrorCode::Internal,
                              "cannot start `" + runtime + " rm`: " + std::strerror(errno));
        }
        return {};
    });
}

void ContainerBackend::poll_loop() {
    std::unique_lock lock(mutex_);
    auto lastPoll = std::chrono::steady_clock::time_point{};
    while (!stopping_) {
        pollWake_.wait(lock, [this] { return stopping_ || pollWanted_ || healthWanted_; });
        if (stopping_) break;
        if (healthWanted_) {
            healthWanted_ = false;
            lock.unlock();
            refresh_health();
            lock.lock();
            if (!pollWanted_) continue;
        }
        auto due = lastPoll + kMinPollInterval;
        if (std::chrono::steady_clock::now() < due) {
            pollWake_.wait_until(lock, due, [this] { return stopping_; });
            if (stopping_) break;
        }
        pollWanted_ = false;
        lock.unlock();
        poll_once();
        lastPoll = std::chrono::steady_clock::now();
        lock.lock();
    }
}

void ContainerBackend::poll_once() {
    // One inspect per runtime (in practice one) for every job tracked.
    std::map<std::string, std::vector<std::string>> byRuntime;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, job] : jobs_)
            byRuntime[job.state.runtime].push_back(job.state.container);
    }
    for (const auto& [runtime, names] : byRuntime) {
        auto asked = std::chrono::steady_clock::now();
        auto out = run_captured(inspect_argv(runtime, names), kQueryTimeout);
        if (!out.started || out.timedOut) continue;  // says nothing about the containers
        auto found = parse_inspect(names, out.out, out.err);
        std::lock_guard lock(mutex_);
        for (auto& [id, job] : jobs_) {
            auto it = found.find(job.state.container);
            if (it == found.end() || job.state.runtime != runtime) continue;
            job.seen = it->second;
            job.seenAt = asked;
        }
    }
}

}  // namespace cj::container

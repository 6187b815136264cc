// ContainerBackend (see backend.h): launching a job's container, following it through the
// runtime's `inspect`, stopping and removing it.
#include "backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "claude_jobs/job_folder.h"
#include "common/command.h"
#include "host_files.h"
#include "run_args.h"

#ifndef CONTAINER_BACKEND_VERSION
#define CONTAINER_BACKEND_VERSION "0.0.0"
#endif

namespace cj::container {

namespace {

using cj::plugin_common::describe_failure;
using cj::plugin_common::first_lines;
using claude_jobs::ErrorCode;
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

// What a job's container status says, once the runtime has answered for it.
JobStatus judge(const std::string& jobId, const std::string& name, const ContainerState& seen) {
    JobStatus status;
    // Found by name, but recovered from the label: a container of that name that does not
    // carry this job's label is someone else's, and says nothing about the job.
    if (seen.kind != ContainerState::Kind::Gone && seen.jobLabel != jobId) {
        status.state = RunState::Lost;
        status.reason = "the container named " + name + " is not this job's (its label " +
                        "claude-jobs.job is \"" + seen.jobLabel + "\")";
        return status;
    }
    if (seen.kind == ContainerState::Kind::Running) return status;
    if (seen.kind == ContainerState::Kind::Gone) {
        status.state = RunState::Lost;
        status.reason = "its container " + name +
                        " was removed by someone else before the job's exit was recorded";
        return status;
    }
    status.state = RunState::Exited;
    // The supervisor is the container's first process; a code over 128 without its
    // record means it was killed (e.g. `kill` from outside, or the memory limit).
    if (seen.exitCode > 128 && seen.exitCode < 128 + 65) {
        status.signal = seen.exitCode - 128;
    } else {
        status.exitCode = seen.exitCode;
    }
    status.reason = "its container " + name + " ended (" + seen.status + ", exit code " +
                    std::to_string(seen.exitCode) + ")" +
                    (seen.oomKilled ? " after running out of memory" : "") +
                    " without an exit record";
    return status;
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

bool parse_settings(const std::string& configJson, Configuration& out, std::string& why) {
    auto settings = cj::container::parse_settings(configJson);
    if (!settings) {
        why = settings.error().message;
        return false;
    }
    Configuration configuration{std::move(*settings), ""};
    const std::string& wanted = configuration.settings.runtime;
    if (wanted == "auto") {
        configuration.runtime = find_program("podman");
        if (configuration.runtime.empty()) configuration.runtime = find_program("docker");
    } else {
        configuration.runtime = find_program(wanted);
    }
    out = std::move(configuration);
    return true;
}

ContainerBackend::ContainerBackend()
    : RunnerBackend({"container", CONTAINER_BACKEND_VERSION,
                     "each job in its own Docker or Podman container that sees only its work "
                     "folder"},
                    {/*survivesServerRestart=*/true}, kStateVersion) {}

void ContainerBackend::configured(const Context&) {
    std::lock_guard lock(mutex_);
    health_ = {};
    if (!poller_.joinable()) poller_ = std::thread([this] { poll_loop(); });
}

Result<void> ContainerBackend::check_runtime(const Context& context) const {
    const std::string& runtime = context.settings.runtime;
    const std::string& image = context.settings.settings.image;
    const std::string& runnerPath = context.host.runnerPath;
    if (runtime.empty()) {
        const std::string& named = context.settings.settings.runtime;
        std::string wanted = named == "auto" ? "podman or docker" : named;
        return make_error(ErrorCode::Unavailable,
                          "no container runtime: " + wanted +
                              " was not found on PATH; install it (e.g. apt-get install podman) "
                              "or set \"runtime\" to its path");
    }
    if (::access(runtime.c_str(), X_OK) != 0)
        return make_error(ErrorCode::Unavailable, "the container runtime " + runtime +
                                                      " cannot be run: " + std::strerror(errno));
    if (runnerPath.empty() || runnerPath.front() != '/' || ::access(runnerPath.c_str(), R_OK) != 0)
        return make_error(ErrorCode::Unavailable,
                          "claude-jobs-runner is not at \"" + runnerPath +
                              "\"; reinstall claude-jobs so that it sits beside the binary");
    auto info = run_captured({runtime, "info"}, kQueryTimeout);
    if (!info.started || info.timedOut || info.exitCode != 0)
        return make_error(ErrorCode::Unavailable, "the container runtime is not working: " +
                                                      describe_failure(runtime + " info", info));
    auto found =
        run_captured({runtime, "image", "inspect", "--format", "{{.Id}}", image}, kQueryTimeout);
    if (!found.started || found.timedOut || found.exitCode != 0) {
        if (found.started && !found.timedOut)
            return make_error(ErrorCode::Unavailable, "the image " + image + " is not there; " +
                                                          image_hint(runtime, image));
        return make_error(ErrorCode::Unavailable,
                          describe_failure(runtime + " image inspect " + image, found));
    }
    return {};
}

Result<void> ContainerBackend::check_health(const Context&) {
    {
        std::lock_guard lock(mutex_);
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
}

void ContainerBackend::refresh_health() {
    auto result = check_runtime(*context());
    std::lock_guard lock(mutex_);
    health_ = {true, std::chrono::steady_clock::now(), result};
}

Result<RunInputs> ContainerBackend::run_inputs(const claude_jobs::JobSpec& spec,
                                               const Context& context) const {
    const Settings& settings = context.settings.settings;
    RunInputs in;
    in.runtime = context.settings.runtime;
    in.instance = context.host.instanceName;
    in.runnerPath = context.host.runnerPath;
    in.user = settings.user.empty() ? std::to_string(::getuid()) + ":" + std::to_string(::getgid())
                                    : settings.user;
    std::string home = home_dir();
    if (settings.mountClaudeConfig && !home.empty()) {
        struct stat info {};
        for (const char* name : {"/.claude", "/.claude.json"})
            if (::stat((home + name).c_str(), &info) == 0) in.claudeConfig.push_back(home + name);
    }
    in.gitFolders = git_folders_for(spec.workFolder);
    // Rootless podman maps the container's users onto sub-ids; keep-id maps the server's
    // own uid onto itself, so the job's files in the work folder stay the user's.
    bool podman = in.runtime.find("podman") != std::string::npos;
    in.keepUserNamespace = podman && ::geteuid() != 0 && settings.user.empty();
    if (auto handed = hand_job_dir_to(spec.jobDir, parse_user(in.user)); !handed)
        return handed.error();
    return in;
}

Result<JobState> ContainerBackend::launch(const claude_jobs::JobSpec& spec,
                                          const Context& context) {
    const Settings& settings = context.settings.settings;
    const std::string& runtime = context.settings.runtime;
    if (runtime.empty()) return check_runtime(context).error();
    auto in = run_inputs(spec, context);
    if (!in) return in.error();

    std::vector<std::string> extra = {"IS_SANDBOX=1"};
    std::string home = home_dir();
    if (settings.mountClaudeConfig && !home.empty()) extra.push_back("HOME=" + home);
    auto text = env_file_text(settings.env, spec.env, extra);
    if (!text) return text.error();
    EnvFile envFile;
    if (auto written = envFile.write(context.host.stateDir, spec.jobId, *text); !written)
        return written.error();
    in->envFile = envFile.path();

    auto argv = build_run_argv(settings, spec, *in);
    if (!argv) return argv.error();
    auto ran = run_captured(*argv, kRunTimeout);
    if (!ran.started || ran.timedOut || ran.exitCode != 0) {
        // It may have been created before it failed to start: leave nothing behind.
        background_.start({runtime, "rm", "--force", container_name(spec.jobId)});
        std::string why = describe_failure(runtime + " run", ran);
        if (mentions_missing_image(ran.err))
            why += "; the image " + settings.image +
                   " is missing: " + image_hint(runtime, settings.image);
        return make_error(ErrorCode::Unavailable, why);
    }
    std::lock_guard lock(mutex_);
    seen_[spec.jobId] = {
        ContainerState{ContainerState::Kind::Running, "running", -1, false, spec.jobId},
        std::chrono::steady_clock::now()};
    return JobState{container_name(spec.jobId), first_lines(ran.out, 128), runtime, spec.jobDir};
}

Result<void> ContainerBackend::recovered(const std::string& jobId, const JobState& job) {
    if (job.container != container_name(jobId))
        return make_error(ErrorCode::InvalidArgument, "job " + jobId +
                                                          ": unreadable container state: the "
                                                          "container is not the job's");
    {
        std::lock_guard lock(mutex_);
        seen_[jobId] = {};  // unknown until the next inspect
        pollWanted_ = true;
    }
    pollWake_.notify_all();
    return {};
}

std::optional<ContainerState> ContainerBackend::last_seen(const std::string& jobId) {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(jobId);
    if (it == seen_.end() || !it->second.state ||
        std::chrono::steady_clock::now() - it->second.at >= kFresh) {
        pollWanted_ = true;
        pollWake_.notify_all();
    }
    return it == seen_.end() ? std::nullopt : it->second.state;
}

Result<JobStatus> ContainerBackend::query(const std::string& jobId, const JobState& job,
                                          const Context&) {
    auto seen = last_seen(jobId);
    // Not inspected yet (just recovered): running until the runtime says otherwise.
    if (!seen) return JobStatus{};
    return judge(jobId, job.container, *seen);
}

Result<void> ContainerBackend::halt(const std::string& jobId, const JobState& job, int graceSec,
                                    const Context&) {
    {
        std::lock_guard lock(mutex_);
        auto it = seen_.find(jobId);
        const auto* seen = it == seen_.end() || !it->second.state ? nullptr : &*it->second.state;
        // Already over, or a container of that name that is not this job's.
        if (seen && (seen->kind != ContainerState::Kind::Running || seen->jobLabel != jobId))
            return {};
    }
    // Readable by all (inside the private job folder): the supervisor may run as the
    // container's user, not the server's. The same request the local backend leaves.
    claude_jobs::job_folder::write_cancel_request(job.jobDir, graceSec, 0644);
    // The runtime sends SIGTERM to the supervisor, which ends the job's whole group
    // (SIGKILL after the grace) and records the exit; the runtime's own SIGKILL comes
    // only if the supervisor is stuck.
    if (!background_.start({job.runtime, "stop", "--time",
                            std::to_string(graceSec + kStopMarginSec), job.container}))
        return make_error(ErrorCode::Internal,
                          "cannot start `" + job.runtime + " stop`: " + std::strerror(errno));
    return {};
}

Result<void> ContainerBackend::release(const std::string& jobId, const std::optional<JobState>& job,
                                       const Context& context) {
    if (!claude_jobs::job_folder::valid_job_id(jobId)) return {};
    std::string runtime = job ? job->runtime : context.settings.runtime;
    {
        std::lock_guard lock(mutex_);
        if (auto it = seen_.find(jobId); it != seen_.end()) {
            const auto& seen = it->second.state;
            bool someoneElses =
                seen && seen->kind != ContainerState::Kind::Gone && seen->jobLabel != jobId;
            if (someoneElses) runtime.clear();  // not ours to remove
            seen_.erase(it);
        }
    }
    if (runtime.empty()) return {};
    if (!background_.start({runtime, "rm", "--force", container_name(jobId)}))
        return make_error(ErrorCode::Internal,
                          "cannot start `" + runtime + " rm`: " + std::strerror(errno));
    return {};
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
    auto jobs = this->jobs();
    std::map<std::string, std::vector<std::string>> byRuntime;
    for (const auto& [id, job] : jobs) byRuntime[job.runtime].push_back(job.container);
    for (const auto& [runtime, names] : byRuntime) {
        auto asked = std::chrono::steady_clock::now();
        auto out = run_captured(inspect_argv(runtime, names), kQueryTimeout);
        if (!out.started || out.timedOut) continue;  // says nothing about the containers
        auto found = parse_inspect(names, out.out, out.err);
        std::lock_guard lock(mutex_);
        for (const auto& [id, job] : jobs) {
            auto it = found.find(job.container);
            auto seen = seen_.find(id);  // gone: destroyed meanwhile
            if (it == found.end() || job.runtime != runtime || seen == seen_.end()) continue;
            seen->second = {it->second, asked};
        }
    }
}

}  // namespace cj::container

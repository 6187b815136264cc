// SlurmBackend (see backend.h): submitting a job's batch script, following it through the
// runner's records and `squeue`, cancelling it with `scancel`.
#include "backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "claude_jobs/job_folder.h"
#include "common/command.h"
#include "common/spawn.h"
#include "submit.h"

#ifndef SLURM_BACKEND_VERSION
#define SLURM_BACKEND_VERSION "0.0.0"
#endif

namespace cj::slurm {

namespace {

using cj::plugin_common::CommandOptions;
using cj::plugin_common::CommandOutput;
using cj::plugin_common::describe_failure;
using cj::plugin_common::first_lines;
using claude_jobs::ErrorCode;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;
using namespace std::chrono_literals;
namespace job_folder = claude_jobs::job_folder;

constexpr auto kSubmitTimeout = 30s;     // sbatch: the controller may be busy
constexpr auto kQueryTimeout = 10s;      // squeue, scontrol ping
constexpr auto kCancelTimeout = 1500ms;  // scancel, inside stop()'s bound
constexpr auto kFresh = 500ms;           // a squeue answer younger than this is current
constexpr auto kMinPollInterval = 500ms;
constexpr auto kHealthyFor = 10s;
constexpr auto kUnhealthyFor = 2s;
// After the grace, this much more before a repeated stop cancels the whole allocation: the
// runner, which gives the job its grace, can still record the exit.
constexpr auto kStopMargin = 5s;
constexpr std::size_t kOutputBytes = 4096;  // read of slurm.out for a failure's reason

std::string server_path() {
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "";
    return dirs + (dirs.empty() ? "" : ":") + "/usr/local/bin:/usr/bin:/bin";
}

std::string command_or_lookup(const std::string& configured, const char* name) {
    if (!configured.empty()) return configured;
    return cj::plugin_common::find_program(name, server_path());
}

// A Slurm command, to its end: an argument vector, no shell, in a session of its own; `env`
// nullopt is the server's environment (which holds the SLURM_CONF the commands read).
CommandOutput run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  std::optional<std::string> input = std::nullopt,
                  std::optional<std::vector<std::string>> env = std::nullopt) {
    CommandOptions options;
    options.timeout = timeout;
    options.input = std::move(input);
    options.env = std::move(env);
    options.workDir = "/";
    options.newSession = true;
    return cj::plugin_common::run_captured(argv, options);
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// The first lines of the batch step's output (a runner that could not be started says why
// there), "" when there is none.
std::string output_excerpt(const std::string& jobDir) {
    int dir = job_folder::open_job_dir(jobDir);
    if (dir < 0) return "";
    auto text = job_folder::read_small_file(dir, kOutputFile, 1 << 20);
    ::close(dir);
    if (!text || text->empty()) return "";
    return first_lines(text->substr(0, kOutputBytes), 300);
}

JobStatus exited_from(const job_folder::ExitRecord& record) {
    JobStatus status;
    status.state = RunState::Exited;
    if (record.signal)
        status.signal = *record.signal;
    else
        status.exitCode = record.exitCode.value_or(-1);
    status.reason = record.reason;
    return status;
}

std::string missing_command(const char* name, const char* key) {
    return std::string("Slurm's ") + name + " was not found on PATH; install Slurm's client " +
           "commands (Debian: apt-get install slurm-client) or set \"" + key + "\" to its path";
}

}  // namespace

bool parse_settings(const std::string& configJson, Configuration& out, std::string& why) {
    Configuration c;
    if (!parse_settings_json(configJson, c.settings, why)) return false;
    c.sbatch = command_or_lookup(c.settings.sbatchPath, "sbatch");
    c.squeue = command_or_lookup(c.settings.squeuePath, "squeue");
    c.scancel = command_or_lookup(c.settings.scancelPath, "scancel");
    c.scontrol = command_or_lookup(c.settings.scontrolPath, "scontrol");
    if (const char* conf = std::getenv("SLURM_CONF"); conf && conf[0] == '/') c.slurmConf = conf;
    out = std::move(c);
    return true;
}

SlurmBackend::SlurmBackend()
    : RunnerBackend({"slurm", SLURM_BACKEND_VERSION,
                     "each job as a Slurm batch job running its supervisor on a cluster node"},
                    {/*survivesServerRestart=*/true}, kStateVersion) {}

SlurmBackend::~SlurmBackend() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    pollWake_.notify_all();
    if (poller_.joinable()) poller_.join();
}

void SlurmBackend::configured(const Context&) {
    std::lock_guard lock(mutex_);
    health_ = {};
    if (!poller_.joinable()) poller_ = std::thread([this] { poll_loop(); });
}

Result<void> SlurmBackend::ping_controller(const Context& context) {
    {
        std::lock_guard lock(mutex_);
        auto age = std::chrono::steady_clock::now() - health_.at;
        if (health_.checked && age < (health_.result ? kHealthyFor : kUnhealthyFor))
            return health_.result;
    }
    const Configuration& c = context.settings;
    auto ping = run({c.scontrol, "ping"}, kQueryTimeout);
    Result<void> result;
    bool up = ping.started && !ping.timedOut && ping.exitCode == 0 &&
              ping.out.find("is UP") != std::string::npos;
    if (!up) {
        std::string said = ping.started && !ping.timedOut ? first_lines(ping.out + " " + ping.err)
                                                          : describe_failure("scontrol ping", ping);
        result = make_error(ErrorCode::Unavailable,
                            "Slurm's controller does not answer (scontrol ping: " + said +
                                "); start slurmctld, or point SLURM_CONF in the server's "
                                "environment at the cluster's slurm.conf",
                            /*retryable=*/true);
    }
    std::lock_guard lock(mutex_);
    health_ = {true, std::chrono::steady_clock::now(), result};
    return result;
}

Result<void> SlurmBackend::check_health(const Context& context) {
    const Configuration& c = context.settings;
    const Settings& s = c.settings;
    struct Command {
        const std::string& path;
        const char* name;
        const char* key;
    };
    for (const Command& command :
         {Command{c.sbatch, "sbatch", "sbatchPath"}, Command{c.squeue, "squeue", "squeuePath"},
          Command{c.scancel, "scancel", "scancelPath"},
          Command{c.scontrol, "scontrol", "scontrolPath"}}) {
        if (command.path.empty())
            return make_error(ErrorCode::Unavailable, missing_command(command.name, command.key));
        if (::access(command.path.c_str(), X_OK) != 0)
            return make_error(ErrorCode::Unavailable,
                              std::string("Slurm's ") + command.name + " at " + command.path +
                                  " cannot be run (" + std::strerror(errno) + "); fix \"" +
                                  command.key + "\" or install slurm-client");
    }
    // The runner the nodes run: the server's own unless runnerPath names one (which may exist
    // only on the nodes; it is checked here when it is visible).
    if (s.runnerPath.empty()) {
        if (auto runner = claude_jobs::check_runner(context.host.runnerPath); !runner)
            return runner;
    } else if (file_exists(s.runnerPath)) {
        if (auto runner = claude_jobs::check_runner(
                s.runnerPath, "install claude-jobs-runner there on every node, or fix runnerPath");
            !runner)
            return runner;
    }
    if (!s.sharedRoot.empty()) {
        struct stat st {};
        if (::stat(s.sharedRoot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return make_error(ErrorCode::Unavailable,
                              "the shared root " + s.sharedRoot + " is not reachable from here (" +
                                  (errno ? std::strerror(errno) : "not a folder") +
                                  "); mount the filesystem the nodes share there, or fix "
                                  "\"sharedRoot\"");
        if (!path_within(context.host.stateDir, s.sharedRoot))
            return make_error(ErrorCode::Unavailable,
                              "the state dir " + context.host.stateDir +
                                  " is not under the shared root " + s.sharedRoot +
                                  ", so the nodes cannot see the job folders; set \"stateDir\" "
                                  "to a folder under " +
                                  s.sharedRoot);
    }
    return ping_controller(context);
}

Result<SlurmJob> SlurmBackend::launch(const claude_jobs::JobSpec& spec, const Context& context) {
    const Configuration& c = context.settings;
    const Settings& s = c.settings;
    if (c.sbatch.empty())
        return make_error(ErrorCode::Unavailable, missing_command("sbatch", "sbatchPath"));
    if (!s.sharedRoot.empty()) {
        for (const auto& [what, path] :
             {std::pair<const char*, const std::string&>{"job folder", spec.jobDir},
              {"work folder", spec.workFolder}})
            if (!path_within(path, s.sharedRoot))
                return make_error(ErrorCode::InvalidArgument,
                                  std::string("the ") + what + " " + path +
                                      " is not under the shared root " + s.sharedRoot +
                                      ", so the nodes cannot see it; use a folder under it");
    }
    const std::string& runner = s.runnerPath.empty() ? context.host.runnerPath : s.runnerPath;
    auto argv = job_folder::RunnerCommand::for_job(spec, runner).argv();
    int dir = job_folder::open_job_dir(spec.jobDir);
    if (dir < 0)
        return make_error(ErrorCode::Internal, "cannot open the job folder " + spec.jobDir + ": " +
                                                   std::strerror(errno));
    int written = job_folder::write_file_atomically(dir, kArgvFile, encode_argv(argv), 0600,
                                                    /*durable=*/true);
    ::close(dir);
    if (written != 0)
        return make_error(ErrorCode::Internal, "cannot write " + spec.jobDir + "/" + kArgvFile +
                                                   ": " + std::strerror(written));
    auto submitted = run(sbatch_argv(s, c.sbatch, spec.jobId, spec.jobDir, spec.timeoutSec),
                         kSubmitTimeout, batch_script(spec.jobDir + "/" + kArgvFile),
                         sbatch_env(spec.env, s.environment, c.slurmConf));
    SlurmJob job;
    job.jobDir = spec.jobDir;
    if (!submitted.started || submitted.timedOut || submitted.exitCode != 0)
        return make_error(ErrorCode::Unavailable,
                          "Slurm did not take the job: " + describe_failure("sbatch", submitted),
                          /*retryable=*/submitted.timedOut);
    if (!parse_sbatch_output(submitted.out, job.slurmJobId, job.cluster))
        return make_error(ErrorCode::Internal, "sbatch answered something that is not a job id: " +
                                                   first_lines(submitted.out, 200));
    std::lock_guard lock(mutex_);
    submitted_[job.slurmJobId] = std::chrono::steady_clock::now();
    return job;
}

Result<JobStatus> SlurmBackend::query(const std::string&, const SlurmJob& job, const Context&) {
    // The runner's records first: they are the truth about the job wherever it ran.
    if (auto record = job_folder::read_exit_record(job.jobDir)) return exited_from(*record);
    bool runnerStarted = file_exists(job.jobDir + "/" + job_folder::kRunnerFile);

    std::optional<Seen> seen;
    std::optional<std::chrono::steady_clock::time_point> submittedAt;
    {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        auto it = seen_.find(job.slurmJobId);
        if (it != seen_.end()) seen = it->second;
        if (auto s = submitted_.find(job.slurmJobId); s != submitted_.end())
            submittedAt = s->second;
        if (!seen || now - seen->at >= kFresh) {
            pollWanted_ = true;
            pollWake_.notify_all();
        }
    }
    JobStatus status;  // Running
    // No answer yet, or only one from before the submission: it was accepted, nothing more.
    if (!seen || (submittedAt && seen->at < *submittedAt)) {
        if (!runnerStarted) status.reason = "submitted to Slurm as job " + job.slurmJobId;
        return status;
    }
    if (!seen->entry) {
        // Slurm forgets ended jobs (MinJobAge) and keeps no history without accounting.
        if (job_folder::read_exit_record(job.jobDir)) return status;  // written meanwhile
        status.state = RunState::Lost;
        status.reason = "Slurm no longer knows job " + job.slurmJobId +
                        " and its supervisor left no exit record";
        if (auto out = output_excerpt(job.jobDir); !out.empty())
            status.reason += "; the batch step said: " + out;
        return status;
    }
    const QueueEntry& entry = *seen->entry;
    if (ended_state(entry.state)) {
        status.state = RunState::Lost;
        status.reason = describe_end(job.slurmJobId, entry);
        if (auto out = output_excerpt(job.jobDir); !out.empty())
            status.reason += "; the batch step said: " + out;
        return status;
    }
    if (entry.state == "PENDING")
        status.reason = describe_pending(job.slurmJobId, entry);
    else if (!runnerStarted)
        status.reason = "starting on " + (entry.nodes.empty() ? "a node" : entry.nodes) +
                        " (Slurm job " + job.slurmJobId + ", " + entry.state + ")";
    return status;
}

Result<void> SlurmBackend::halt(const std::string& jobId, const SlurmJob& job, int graceSec,
                                const Context& context) {
    if (job_folder::read_exit_record(job.jobDir)) return {};  // ended: nothing to stop
    const Configuration& c = context.settings;
    if (c.scancel.empty())
        return make_error(ErrorCode::Unavailable, missing_command("scancel", "scancelPath"));
    job_folder::write_cancel_request(job.jobDir, graceSec);
    bool runnerStarted = file_exists(job.jobDir + "/" + job_folder::kRunnerFile);
    bool whole = !runnerStarted;
    {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        auto [it, first] = stopAsked_.emplace(jobId, now);
        if (!first && now - it->second > std::chrono::seconds(graceSec) + kStopMargin) whole = true;
    }
    std::vector<std::string> argv = {c.scancel};
    if (!job.cluster.empty()) argv.push_back("--clusters=" + job.cluster);
    if (!whole) {
        // Only the batch step's process, the runner: it ends the job's group and escapees
        // (SIGKILL after the grace) and records the exit; the allocation then ends with it.
        argv.push_back("--batch");
        argv.push_back("--signal=TERM");
    }
    argv.push_back(job.slurmJobId);
    auto cancelled = run(argv, kCancelTimeout);
    if (!cancelled.started)
        return make_error(ErrorCode::Unavailable, describe_failure("scancel", cancelled), true);
    // A job that already ended makes scancel complain; stopping it is still a success.
    return {};
}

Result<void> SlurmBackend::release(const std::string& jobId, const std::optional<SlurmJob>& job,
                                   const Context& context) {
    {
        std::lock_guard lock(mutex_);
        stopAsked_.erase(jobId);
        if (job) {
            seen_.erase(job->slurmJobId);
            submitted_.erase(job->slurmJobId);
        }
    }
    // A job this process never tracked has ended in the index without a Slurm id here: its
    // launch may have been cut short after sbatch took it (the server stopped in between). The
    // name follows from the id, so whatever Slurm still runs under it is cancelled.
    const Configuration& c = context.settings;
    if (!job && !c.scancel.empty())
        run({c.scancel, "--user=" + std::to_string(::getuid()), "--name=" + job_name(jobId)},
            kCancelTimeout);
    return {};
}

void SlurmBackend::poll_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        pollWake_.wait(lock, [this] { return stopping_ || pollWanted_; });
        if (stopping_) return;
        auto next = lastPoll_ + kMinPollInterval;
        if (std::chrono::steady_clock::now() < next) {
            pollWake_.wait_until(lock, next, [this] { return stopping_; });
            if (stopping_) return;
        }
        pollWanted_ = false;
        lastPoll_ = std::chrono::steady_clock::now();
        lock.unlock();
        poll_once();
        lock.lock();
    }
}

void SlurmBackend::poll_once() {
    auto context = this->context();
    const Configuration& c = context->settings;
    if (c.squeue.empty()) return;
    // One squeue per cluster named by a job (all of them "" outside a federation).
    std::map<std::string, std::vector<std::string>> byCluster;
    for (const auto& [id, job] : jobs()) byCluster[job.cluster].push_back(job.slurmJobId);
    for (const auto& [cluster, ids] : byCluster) {
        std::string list;
        for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
        std::vector<std::string> argv = {c.squeue, "--noheader", "--states=all",
                                         std::string("--format=") + kQueueFormat, "--jobs=" + list};
        if (!cluster.empty()) argv.push_back("--clusters=" + cluster);
        auto at = std::chrono::steady_clock::now();
        auto answer = run(argv, kQueryTimeout);
        bool answered = answer.started && !answer.timedOut && answer.exitCode == 0;
        // Every id unknown: squeue says "Invalid job id specified" and fails.
        bool noneKnown = answer.started && !answer.timedOut &&
                         answer.err.find("Invalid job id") != std::string::npos;
        if (!answered && !noneKnown) continue;  // the controller did not answer: keep the last
        auto entries = answered ? parse_queue(answer.out) : std::map<std::string, QueueEntry>{};
        std::lock_guard lock(mutex_);
        for (const auto& id : ids) {
            Seen seen{std::nullopt, at};
            if (auto it = entries.find(id); it != entries.end()) seen.entry = it->second;
            seen_[id] = std::move(seen);
        }
    }
}

}  // namespace cj::slurm

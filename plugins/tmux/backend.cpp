// TmuxBackend (see backend.h): sessions on a dedicated socket, followed through the runner's
// files and process identity, never by scraping the screen.
#include "backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "command.h"
#include "common/guarded.h"
#include "common/process_identity.h"
#include "common/runner_files.h"
#include "common/spawn.h"
#include "interactive.h"
#include "names.h"

#ifndef TMUX_BACKEND_VERSION
#define TMUX_BACKEND_VERSION "0.0.0"
#endif

extern char** environ;

namespace cj::tmux {

namespace {

using namespace cj::plugin_common;
using claude_jobs::Capabilities;
using claude_jobs::ErrorCode;
using claude_jobs::JobHandle;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;

constexpr auto kTmuxLimit = std::chrono::milliseconds(5000);
constexpr std::size_t kMaxInputBytes = 256 * 1024;

const char kReinstallHint[] =
    "reinstall claude-jobs so that claude-jobs-runner and claude-jobs-tmux sit beside the "
    "claude-jobs binary";
const char kNoTmux[] = "tmux not found on PATH (install it: apt-get install tmux)";

const char kWho[] = "tmux backend";  // starts the message of an unexpected failure

bool executable(const std::string& path) {
    return !path.empty() && path.front() == '/' && cj::plugin_common::executable_file(path);
}

// Writes a new private file in the job folder (never through a symlink, never over a file).
bool write_job_file(const std::string& jobDir, const char* name, const std::string& content,
                    std::string& why) {
    int dir = ::open(jobDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
        why = "cannot open the job folder: " + std::string(std::strerror(errno));
        return false;
    }
    ::unlinkat(dir, name, 0);  // a leftover of an earlier launch attempt
    int fd = ::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    ::close(dir);
    if (fd < 0) {
        why = std::string("cannot create ") + name + ": " + std::strerror(errno);
        return false;
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            why = std::string("cannot write ") + name + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return ::close(fd) == 0;
}

void remove_job_file(const std::string& jobDir, const char* name) {
    ::unlink((jobDir + "/" + name).c_str());
}

// One line appended to the job's interactive state file (see docs/backends/tmux.md).
void append_state_record(const std::string& jobDir, const std::string& line) {
    int dir = ::open(jobDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return;
    int fd = ::openat(dir, "interactive.jsonl",
                      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    ::close(dir);
    if (fd < 0) return;
    std::string text = line + "\n";
    while (::write(fd, text.data(), text.size()) < 0 && errno == EINTR) {
    }
    ::close(fd);
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    if (line.size() > 300) line.resize(300);
    return line;
}

// Text typed into the pane must not carry terminal controls: an ESC could end the bracketed
// paste early and turn the rest into key presses. Newlines and tabs are text.
bool plain_text(const std::string& text, std::string& why) {
    for (unsigned char c : text) {
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            why = "text must not contain control characters other than newline and tab";
            return false;
        }
    }
    return true;
}

}  // namespace

claude_jobs::BackendInfo TmuxBackend::info() const noexcept {
    try {
        return {"tmux", TMUX_BACKEND_VERSION,
                "each job in a tmux session a person can attach to, watch and (interactive "
                "mode) type into; jobs survive server restarts"};
    } catch (...) {
        return {};
    }
}

Result<void> TmuxBackend::configure(const std::string& configJson,
                                    const claude_jobs::HostContext& host) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        Settings settings;
        std::string why;
        if (!parse_settings(configJson, settings, why))
            return make_error(ErrorCode::InvalidArgument, why);
        std::string bootId = current_boot_id();
        std::lock_guard lock(mutex_);
        host_ = host;
        settings_ = std::move(settings);
        bootId_ = std::move(bootId);
        configured_ = true;
        return {};
    });
}

Capabilities TmuxBackend::capabilities() const noexcept {
    std::lock_guard lock(mutex_);
    Capabilities caps;
    caps.survivesServerRestart = true;
    caps.attach = true;
    caps.sendInput = settings_.mode == "interactive";
    return caps;
}

std::string TmuxBackend::helper_path() const {
    std::lock_guard lock(mutex_);
    const std::string& runner = host_.runnerPath;
    auto slash = runner.rfind('/');
    if (slash == std::string::npos) return "";
    return runner.substr(0, slash + 1) + "claude-jobs-tmux";
}

std::vector<std::string> TmuxBackend::client_environment() const {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("TMUX=", 0) == 0 || entry.rfind("TMUX_PANE=", 0) == 0) continue;
        env.push_back(std::move(entry));
    }
    return env;
}

Result<void> TmuxBackend::health() noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        std::string runner, tmuxName, bootId;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) return make_error(ErrorCode::Unavailable, "tmux is not configured");
            runner = host_.runnerPath;
            tmuxName = settings_.tmux;
            bootId = bootId_;
        }
        if (!executable(runner))
            return make_error(ErrorCode::Unavailable, "cannot run claude-jobs-runner at \"" +
                                                          runner + "\"; " + kReinstallHint);
        std::string helper = helper_path();
        if (!executable(helper))
            return make_error(ErrorCode::Unavailable, "cannot run the pane helper at \"" + helper +
                                                          "\"; " + kReinstallHint);
        if (find_program(tmuxName, client_environment()).empty()) {
            if (tmuxName == "tmux") return make_error(ErrorCode::Unavailable, kNoTmux);
            return make_error(ErrorCode::Unavailable, "tmux not found at tmuxPath \"" + tmuxName +
                                                          "\" (install it: apt-get install tmux)");
        }
        if (bootId.empty() || !read_proc_stat(::getpid()))
            return make_error(ErrorCode::Unavailable,
                              "the tmux backend follows its jobs through /proc, which is not "
                              "readable here; mount procfs");
        return {};
    });
}

Result<JobHandle> TmuxBackend::start(const claude_jobs::JobSpec& spec) noexcept {
    return guarded(kWho, [&]() -> Result<JobHandle> {
        claude_jobs::HostContext host;
        Settings settings;
        std::string bootId;
        {
            std::lock_guard lock(mutex_);
            if (!configured_) return make_error(ErrorCode::Unavailable, "tmux is not configured");
            if (jobs_.count(spec.jobId))
                return make_error(ErrorCode::AlreadyExists,
                                  "job " + spec.jobId + " was already started");
            host = host_;
            settings = settings_;
            bootId = bootId_;
        }
        if (spec.jobId.empty() || spec.jobDir.empty() || spec.jobDir.front() != '/' ||
            spec.workFolder.empty() || spec.workFolder.front() != '/' || spec.claudePath.empty())
            return make_error(ErrorCode::InvalidArgument,
                              "a job needs an id, an absolute job folder, an absolute work "
                              "folder and a program to run");
        if (!executable(host.runnerPath))
            return make_error(
                ErrorCode::Unavailable,
                "cannot run claude-jobs-runner at \"" + host.runnerPath + "\"; " + kReinstallHint);
        std::string helper = helper_path();
        if (!executable(helper))
            return make_error(ErrorCode::Unavailable, "cannot run the pane helper at \"" + helper +
                                                          "\"; " + kReinstallHint);
        auto clientEnv = client_environment();
        std::string tmuxProgram = find_program(settings.tmux, clientEnv);
        if (tmuxProgram.empty()) return make_error(ErrorCode::Unavailable, kNoTmux);
        if (tmuxProgram.front() != '/') {
            char buf[4096];
            if (::getcwd(buf, sizeof buf)) tmuxProgram = std::string(buf) + "/" + tmuxProgram;
        }

        bool interactive = settings.mode == "interactive";
        std::vector<std::string> claudeArgs = spec.claudeArgs;
        std::string why;
        if (interactive) {
            std::string settingsPath = spec.jobDir + "/claude-settings.json";
            if (!write_job_file(spec.jobDir, "claude-settings.json",
                                hook_settings_json(helper, spec.jobDir), why))
                return make_error(ErrorCode::Internal, why);
            claudeArgs = interactive_args(spec.claudeArgs, settingsPath);
        }
        // The job's environment travels in a private file the pane helper reads and removes,
        // never on a command line (it may hold keys) nor through tmux's own environment.
        std::string envText;
        for (const auto& entry : spec.env) envText.append(entry).push_back('\0');
        if (!write_job_file(spec.jobDir, "pane-env", envText, why))
            return make_error(ErrorCode::Internal, why);

        std::string session = session_name(spec.jobId);
        std::vector<std::string> runnerArgv = {host.runnerPath,
                                               "--job-dir",
                                               spec.jobDir,
                                               "--cwd",
                                               spec.workFolder,
                                               "--timeout",
                                               std::to_string(spec.timeoutSec)};
        if (interactive) runnerArgv.push_back("--terminal");
        runnerArgv.push_back("--");
        runnerArgv.push_back(spec.claudePath);
        runnerArgv.insert(runnerArgv.end(), claudeArgs.begin(), claudeArgs.end());

        std::vector<std::string> argv = {tmuxProgram,
                                         "-L",
                                         settings.socket,
                                         "-f",
                                         "/dev/null",
                                         "new-session",
                                         "-d",
                                         "-s",
                                         session,
                                         "-x",
                                         std::to_string(settings.columns),
                                         "-y",
                                         std::to_string(settings.rows),
                                         "-c",
                                         spec.workFolder,
                                         "-P",
                                         "-F",
                                         "#{pane_pid}",
                                         "--",
                                         helper,
                                         "pane",
                                         "--job-dir",
                                         spec.jobDir,
                                         "--keep",
                                         std::to_string(settings.keepSessionSec),
                                         "--tmux",
                                         tmuxProgram,
                                         "--socket",
                                         settings.socket,
                                         "--session",
                                         session,
                                         "--mode",
                                         settings.mode,
                                         "--"};
        argv.insert(argv.end(), runnerArgv.begin(), runnerArgv.end());
        auto ran = run_command(argv, clientEnv, "", kTmuxLimit);
        if (!ran || ran->exitCode != 0) {
            remove_job_file(spec.jobDir, "pane-env");
            std::string detail = ran ? first_line(ran->err) : ran.error().message;
            return make_error(ErrorCode::Unavailable, "tmux new-session failed: " + detail);
        }
        PaneState state;
        state.socket = settings.socket;
        state.tmux = tmuxProgram;
        state.session = session;
        state.jobDir = spec.jobDir;
        state.mode = settings.mode;
        state.bootId = bootId;
        try {
            state.panePid = std::stoll(ran->out);
        } catch (...) {
            state.panePid = 0;
        }
        if (state.panePid < 2) {
            kill_session(state);
            return make_error(
                ErrorCode::Internal,
                "tmux did not say which process runs the pane (\"" + first_line(ran->out) + "\")");
        }
        // The helper may already have ended (a launch error is recorded by the runner in
        // exit.json); a start time of 0 then matches no process.
        if (auto stat = read_proc_stat(static_cast<pid_t>(state.panePid)))
            state.paneStartTime = stat->startTime;
        {
            std::lock_guard lock(mutex_);
            jobs_[spec.jobId] = state;
        }
        return JobHandle{spec.jobId, host.instanceName, kStateVersion, encode_state(state)};
    });
}

Result<void> TmuxBackend::recover(const JobHandle& handle) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        if (handle.stateVersion != kStateVersion)
            return make_error(ErrorCode::InvalidArgument,
                              "job " + handle.jobId + ": tmux state version " +
                                  std::to_string(handle.stateVersion) + " is not one this " +
                                  "module reads (" + std::to_string(kStateVersion) + ")");
        if (handle.jobId.empty())
            return make_error(ErrorCode::InvalidArgument, "a job handle without a job id");
        PaneState state;
        std::string why;
        if (!decode_state(handle.backendState, state, why))
            return make_error(ErrorCode::InvalidArgument,
                              "job " + handle.jobId + ": unreadable tmux state: " + why);
        std::lock_guard lock(mutex_);
        jobs_[handle.jobId] = std::move(state);
        return {};
    });
}

Result<JobStatus> TmuxBackend::status(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<JobStatus> {
        auto found = find(jobId);
        if (!found) return found.error();
        const PaneState& job = *found;
        bool rebooted;
        {
            std::lock_guard lock(mutex_);
            rebooted = !job.bootId.empty() && !bootId_.empty() && job.bootId != bootId_;
        }
        JobStatus status;
        status.state = RunState::Lost;
        RunnerRecord record;
        if (read_runner_record(job.jobDir, record) && record.runnerPid > 0) {
            if (!rebooted &&
                is_same_process(static_cast<pid_t>(record.runnerPid), record.runnerStartTime)) {
                status.state = RunState::Running;
                return status;
            }
            status.reason = "supervisor (pid " + std::to_string(record.runnerPid) +
                            ") vanished without recording an exit";
        } else {
            // The pane helper has not started the supervisor yet, or never will.
            if (!rebooted && is_same_process(static_cast<pid_t>(job.panePid), job.paneStartTime)) {
                status.state = RunState::Running;
                return status;
            }
            status.reason = "the tmux session's program (pid " + std::to_string(job.panePid) +
                            ") ended before the job's supervisor started";
        }
        if (rebooted) status.reason += ": the machine was rebooted";
        return status;
    });
}

Result<void> TmuxBackend::stop(const std::string& jobId, int graceSec) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        auto found = find(jobId);
        if (!found) return found.error();
        const PaneState& job = *found;
        {
            std::lock_guard lock(mutex_);
            if (!job.bootId.empty() && !bootId_.empty() && job.bootId != bootId_) return {};
        }
        // The request gives the runner its grace, and tells the pane helper to close the
        // session as soon as the job has ended (no keep period for a cancelled job).
        write_cancel_request(job.jobDir, graceSec < 0 ? 0 : graceSec);
        RunnerRecord record;
        if (read_runner_record(job.jobDir, record) && record.runnerPid > 0 &&
            signal_if_same(static_cast<pid_t>(record.runnerPid), record.runnerStartTime, SIGTERM))
            return {};
        // Still starting: the helper ends (and stops the supervisor if it just started it).
        if (signal_if_same(static_cast<pid_t>(job.panePid), job.paneStartTime, SIGTERM)) return {};
        kill_abandoned_job(job.jobDir);
        kill_session(job);
        return {};
    });
}

Result<void> TmuxBackend::destroy(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        PaneState job;
        {
            std::lock_guard lock(mutex_);
            auto it = jobs_.find(jobId);
            if (it == jobs_.end()) return {};
            job = it->second;
            jobs_.erase(it);
        }
        if (cancel_requested(job.jobDir)) kill_session(job);
        // Normally gone once the pane program has read it; never left behind with its keys.
        remove_job_file(job.jobDir, "pane-env");
        return {};
    });
}

Result<std::string> TmuxBackend::attachCommand(const std::string& jobId) noexcept {
    return guarded(kWho, [&]() -> Result<std::string> {
        std::string display;
        {
            std::lock_guard lock(mutex_);
            display = settings_.tmux;
        }
        if (auto found = find(jobId)) return attach_command(display, found->socket, found->session);
        // An ended job: its session may still be open for its keep period.
        PaneState job;
        {
            std::lock_guard lock(mutex_);
            job.socket = settings_.socket;
        }
        job.session = session_name(jobId);
        job.tmux = find_program(display, client_environment());
        if (job.tmux.empty() || !has_session(job))
            return make_error(ErrorCode::NotFound, "job " + jobId + " has no tmux session open");
        return attach_command(display, job.socket, job.session);
    });
}

Result<void> TmuxBackend::sendInput(const std::string& jobId, const std::string& text) noexcept {
    return guarded(kWho, [&]() -> Result<void> {
        auto found = find(jobId);
        if (!found) return found.error();
        const PaneState& job = *found;
        if (job.mode != "interactive")
            return make_error(ErrorCode::InvalidArgument,
                              "job " + jobId + " runs in print mode, which takes no input");
        std::string why;
        if (text.empty()) return make_error(ErrorCode::InvalidArgument, "text must not be empty");
        if (text.size() > kMaxInputBytes)
            return make_error(ErrorCode::InvalidArgument, "text is " + std::to_string(text.size()) +
                                                              " bytes; the limit is " +
                                                              std::to_string(kMaxInputBytes));
        if (!plain_text(text, why)) return make_error(ErrorCode::InvalidArgument, why);
        // The job counts as working from now on, so a wait right after this call does not
        // see the answer to the previous message as the answer to this one.
        append_state_record(job.jobDir,
                            "{\"event\":\"InputSent\",\"at\":" + std::to_string(wall_ms()) + "}");
        auto env = client_environment();
        std::string buffer = "cj-in-" + job.session;
        std::string target = "=" + job.session + ":";
        auto step = [&](std::vector<std::string> argv, const std::string& input) -> Result<void> {
            argv.insert(argv.begin(), {job.tmux, "-L", job.socket});
            auto ran = run_command(argv, env, input, kTmuxLimit);
            if (!ran) return ran.error();
            if (ran->exitCode != 0)
                return make_error(ErrorCode::Unavailable,
                                  "tmux " + argv[3] + " failed: " + first_line(ran->err));
            return {};
        };
        if (auto r = step({"load-buffer", "-b", buffer, "-"}, text); !r) return r;
        if (auto r = step({"paste-buffer", "-p", "-d", "-b", buffer, "-t", target}, ""); !r)
            return r;
        return step({"send-keys", "-t", target, "Enter"}, "");
    });
}

Result<PaneState> TmuxBackend::find(const std::string& jobId) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(jobId);
    if (it == jobs_.end())
        return make_error(ErrorCode::NotFound, "the tmux backend has no job " + jobId +
                                                   " (neither started nor recovered)");
    return it->second;
}

bool TmuxBackend::has_session(const PaneState& job) const {
    auto ran = run_command({job.tmux, "-L", job.socket, "has-session", "-t", "=" + job.session},
                           client_environment(), "", kTmuxLimit);
    return ran && ran->exitCode == 0;
}

void TmuxBackend::kill_session(const PaneState& job) const {
    run_command({job.tmux, "-L", job.socket, "kill-session", "-t", "=" + job.session},
                client_environment(), "", kTmuxLimit);
}

}  // namespace cj::tmux

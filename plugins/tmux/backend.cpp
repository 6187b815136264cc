// TmuxBackend (see backend.h): sessions on a dedicated socket, followed through the runner's
// files and process identity, never by scraping the screen.
#include "backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "claude_jobs/job_folder.h"
#include "claude_jobs/process_identity.h"
#include "client.h"
#include "common/files.h"
#include "common/guarded.h"
#include "common/spawn.h"
#include "interactive.h"
#include "names.h"

#ifndef TMUX_BACKEND_VERSION
#define TMUX_BACKEND_VERSION "0.0.0"
#endif

namespace cj::tmux {

namespace {

namespace folder = claude_jobs::job_folder;
using cj::plugin_common::guarded;
using claude_jobs::Capabilities;
using claude_jobs::ErrorCode;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::ProcessIdentity;
using claude_jobs::Result;
using claude_jobs::RunState;

constexpr std::size_t kMaxInputBytes = 256 * 1024;

const char kReinstallHint[] =
    "reinstall claude-jobs so that claude-jobs-runner and claude-jobs-tmux sit beside the "
    "claude-jobs binary";
const char kNoTmux[] = "tmux not found on PATH (install it: apt-get install tmux)";

bool executable(const std::string& path) {
    return !path.empty() && path.front() == '/' && cj::plugin_common::executable_file(path);
}

// The pane helper, installed beside the runner.
std::string helper_path(const std::string& runner) {
    auto slash = runner.rfind('/');
    if (slash == std::string::npos) return "";
    return runner.substr(0, slash + 1) + "claude-jobs-tmux";
}

// Why the runner or the pane helper cannot be run; ok when both can.
Result<void> programs_problem(const std::string& runner, const std::string& helper) {
    if (auto problem = claude_jobs::check_runner(runner, kReinstallHint); !problem) return problem;
    if (!executable(helper))
        return make_error(ErrorCode::Unavailable,
                          "cannot run the pane helper at \"" + helper + "\"; " + kReinstallHint);
    return {};
}

// Writes a new private file in the job folder (never through a symlink, never over a file).
bool write_job_file(const std::string& jobDir, const char* name, const std::string& content,
                    std::string& why) {
    int dir = folder::open_job_dir(jobDir);
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
    if (!cj::plugin_common::write_all(fd, content)) {
        why = std::string("cannot write ") + name + ": " + std::strerror(errno);
        ::close(fd);
        return false;
    }
    return ::close(fd) == 0;
}

void remove_job_file(const std::string& jobDir, const char* name) {
    ::unlink((jobDir + "/" + name).c_str());
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

// A session command for the job's session: has-session, kill-session.
bool session_command(const PaneState& job, const char* verb) {
    auto ran = run_client({job.tmux, "-L", job.socket, verb, "-t", "=" + job.session},
                          client_environment(), "");
    return ran && ran->exitCode == 0;
}

// The runner's command line for the job. Interactive mode runs Claude Code's own interface on
// the pane's terminal, with the hooks (in a settings file) through which its state reaches
// the job folder.
Result<std::vector<std::string>> runner_argv(const claude_jobs::JobSpec& spec,
                                             const std::string& runner, const std::string& helper,
                                             bool interactive) {
    auto command = folder::RunnerCommand::for_job(spec, runner);
    if (interactive) {
        std::string settingsPath = spec.jobDir + "/" + folder::kClaudeSettingsFile;
        std::string why;
        if (!write_job_file(spec.jobDir, folder::kClaudeSettingsFile,
                            hook_settings_json(helper, spec.jobDir), why))
            return make_error(ErrorCode::Internal, why);
        command.args = interactive_args(spec.claudeArgs, settingsPath);
        command.terminal = true;
    }
    return command.argv();
}

// `tmux new-session` for the job: a detached session whose pane runs the pane helper, which
// runs the runner's command line.
std::vector<std::string> new_session_argv(const Settings& settings, const std::string& tmux,
                                          const std::string& session,
                                          const claude_jobs::JobSpec& spec,
                                          const std::string& helper,
                                          const std::vector<std::string>& runner) {
    std::vector<std::string> argv = {tmux,
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
                                     tmux,
                                     "--socket",
                                     settings.socket,
                                     "--session",
                                     session,
                                     "--mode",
                                     settings.mode,
                                     "--"};
    argv.insert(argv.end(), runner.begin(), runner.end());
    return argv;
}

// Where the configured tmux is, as an absolute path; "" when it is not found.
std::string resolve_tmux(const std::string& name, const std::vector<std::string>& env) {
    std::string program = find_program(name, env);
    if (!program.empty() && program.front() != '/') {
        char buf[4096];
        if (::getcwd(buf, sizeof buf)) program = std::string(buf) + "/" + program;
    }
    return program;
}

// The job's environment travels in a private file the pane helper reads and removes, never on
// a command line (it may hold keys) nor through tmux's own environment.
bool write_pane_environment(const claude_jobs::JobSpec& spec, std::string& why) {
    std::string text;
    for (const auto& entry : spec.env) text.append(entry).push_back('\0');
    return write_job_file(spec.jobDir, folder::kPaneEnvFile, text, why);
}

}  // namespace

TmuxBackend::TmuxBackend()
    : RunnerBackend({"tmux", TMUX_BACKEND_VERSION,
                     "each job in a tmux session a person can attach to, watch and (interactive "
                     "mode) type into; jobs survive server restarts"},
                    {/*survivesServerRestart=*/true, /*attach=*/true}, kStateVersion) {}

Capabilities TmuxBackend::capabilities() const noexcept {
    Capabilities caps = RunnerBackend::capabilities();
    caps.sendInput = context()->settings.mode == "interactive";
    return caps;
}

Result<void> TmuxBackend::check_health(const Context& context) {
    const std::string& runner = context.host.runnerPath;
    if (auto problem = programs_problem(runner, helper_path(runner)); !problem) return problem;
    const std::string& tmuxName = context.settings.tmux;
    if (find_program(tmuxName, client_environment()).empty()) {
        if (tmuxName == "tmux") return make_error(ErrorCode::Unavailable, kNoTmux);
        return make_error(ErrorCode::Unavailable, "tmux not found at tmuxPath \"" + tmuxName +
                                                      "\" (install it: apt-get install tmux)");
    }
    return claude_jobs::check_procfs("the tmux backend", context.bootId);
}

Result<PaneState> TmuxBackend::launch(const claude_jobs::JobSpec& spec, const Context& context) {
    const Settings& settings = context.settings;
    std::string helper = helper_path(context.host.runnerPath);
    if (auto problem = programs_problem(context.host.runnerPath, helper); !problem)
        return problem.error();
    auto clientEnv = client_environment();
    std::string tmuxProgram = resolve_tmux(settings.tmux, clientEnv);
    if (tmuxProgram.empty()) return make_error(ErrorCode::Unavailable, kNoTmux);

    auto runner =
        runner_argv(spec, context.host.runnerPath, helper, settings.mode == "interactive");
    if (!runner) return runner.error();
    std::string why;
    if (!write_pane_environment(spec, why)) return make_error(ErrorCode::Internal, why);

    PaneState state{
        settings.socket, tmuxProgram, session_name(spec.jobId), spec.jobDir, settings.mode, 0, 0,
        context.bootId};
    auto ran =
        run_client(new_session_argv(settings, tmuxProgram, state.session, spec, helper, *runner),
                   clientEnv, "");
    if (!ran || ran->exitCode != 0) {
        remove_job_file(spec.jobDir, folder::kPaneEnvFile);
        std::string detail = ran ? first_line(ran->err) : ran.error().message;
        return make_error(ErrorCode::Unavailable, "tmux new-session failed: " + detail);
    }
    try {
        state.panePid = std::stoll(ran->out);
    } catch (...) {
        state.panePid = 0;
    }
    if (state.panePid < 2) {
        session_command(state, "kill-session");
        return make_error(ErrorCode::Internal, "tmux did not say which process runs the pane (\"" +
                                                   first_line(ran->out) + "\")");
    }
    // The helper may already have ended (a launch error is recorded by the runner in
    // exit.json); a start time of 0 then matches no process.
    if (auto stat = claude_jobs::read_proc_stat(state.panePid))
        state.paneStartTime = stat->startTime;
    return state;
}

Result<JobStatus> TmuxBackend::query(const std::string&, const PaneState& job,
                                     const Context& context) {
    folder::RunnerRecord record;
    if (folder::read_runner_record(job.jobDir, record) && record.runnerPid > 0)
        return claude_jobs::runner_status({record.runnerPid, record.runnerStartTime, job.bootId},
                                          context.bootId);
    // The pane helper has not started the supervisor yet, or never will.
    ProcessIdentity pane{job.panePid, job.paneStartTime, job.bootId};
    bool rebooted = claude_jobs::started_before_reboot(pane, context.bootId);
    JobStatus status;
    if (!rebooted && claude_jobs::is_same_process(pane.pid, pane.startTime)) return status;
    status.state = RunState::Lost;
    status.reason = "the tmux session's program (pid " + std::to_string(job.panePid) +
                    ") ended before the job's supervisor started";
    if (rebooted) status.reason += ": the machine was rebooted";
    return status;
}

Result<void> TmuxBackend::halt(const std::string&, const PaneState& job, int graceSec,
                               const Context& context) {
    if (claude_jobs::started_before_reboot({job.panePid, job.paneStartTime, job.bootId},
                                           context.bootId))
        return {};
    // The request gives the runner its grace, and tells the pane helper to close the
    // session as soon as the job has ended (no keep period for a cancelled job).
    folder::write_cancel_request(job.jobDir, graceSec);
    folder::RunnerRecord record;
    if (folder::read_runner_record(job.jobDir, record) && record.runnerPid > 0 &&
        claude_jobs::signal_if_same(record.runnerPid, record.runnerStartTime, SIGTERM))
        return {};
    // Still starting: the helper ends (and stops the supervisor if it just started it).
    if (claude_jobs::signal_if_same(job.panePid, job.paneStartTime, SIGTERM)) return {};
    claude_jobs::kill_abandoned_job(job.jobDir);
    session_command(job, "kill-session");
    return {};
}

Result<void> TmuxBackend::release(const std::string&, const std::optional<PaneState>& job,
                                  const Context&) {
    if (!job) return {};
    if (folder::cancel_requested(job->jobDir)) session_command(*job, "kill-session");
    // Normally gone once the pane program has read it; never left behind with its keys.
    remove_job_file(job->jobDir, folder::kPaneEnvFile);
    return {};
}

Result<std::string> TmuxBackend::attachCommand(const std::string& jobId) noexcept {
    return guarded(name(), [&]() -> Result<std::string> {
        auto context = this->context();
        const std::string& display = context->settings.tmux;
        if (auto found = find(jobId)) return attach_command(display, found->socket, found->session);
        // An ended job: its session may still be open for its keep period.
        PaneState job;
        job.socket = context->settings.socket;
        job.session = session_name(jobId);
        job.tmux = find_program(display, client_environment());
        if (job.tmux.empty() || !session_command(job, "has-session"))
            return make_error(ErrorCode::NotFound, "job " + jobId + " has no tmux session open");
        return attach_command(display, job.socket, job.session);
    });
}

Result<void> TmuxBackend::sendInput(const std::string& jobId, const std::string& text) noexcept {
    return guarded(name(), [&]() -> Result<void> {
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
        folder::append_line(job.jobDir, folder::kInteractiveFile,
                            "{\"event\":\"InputSent\",\"at\":" + std::to_string(wall_ms()) + "}");
        auto env = client_environment();
        std::string buffer = "cj-in-" + job.session;
        std::string target = "=" + job.session + ":";
        auto step = [&](std::vector<std::string> argv, const std::string& input) -> Result<void> {
            argv.insert(argv.begin(), {job.tmux, "-L", job.socket});
            auto ran = run_client(argv, env, input);
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

}  // namespace cj::tmux

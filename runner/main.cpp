// claude-jobs-runner: the per-job supervisor (SPEC §2, §3.4). A backend starts it detached; it
// starts the job's program with the job's files as stdio, records who is running (runner.json),
// enforces the time limit, turns SIGTERM/SIGINT/SIGHUP into a cancel of the whole job (the
// program's process group and every process descended from the runner), and records how the
// job ended (exit.json). Its exit status is the program's
// (128+signal when killed); for a launch error 127 (program not found), 126 (not runnable),
// 125 (anything else), or 2 for a bad command line.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "claude_jobs/job_folder.h"
#include "claude_jobs/process_identity.h"
#include "runner/child.h"
#include "runner/clock.h"
#include "runner/descendants.h"
#include "runner/diag.h"
#include "runner/exit_record.h"
#include "runner/exit_slot.h"
#include "runner/job_files.h"
#include "runner/options.h"
#include "runner/supervisor.h"
#include "runner/work_folder.h"

namespace cj::runner {
namespace {

using namespace claude_jobs::job_folder;

constexpr int kExitUsage = 2;
constexpr int kExitLaunchFailed = 125;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;

// With 0, 1 or 2 closed, the next file opened would take its place and the program's output,
// or the runner's diagnostics, would land in the wrong file.
void ensure_standard_descriptors() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) ::open("/dev/null", O_RDWR);
    }
}

std::string errno_text(int err) {
    return std::strerror(err);
}

// The room for exit.json, reserved as soon as the job folder is open (see exit_slot.h).
ExitSlot exitSlot;

// Writes exit.json once, whole, and durably: the server settles the job from it.
void record_exit(ExitRecord& record, std::int64_t timeoutMs) {
    record.reason = exit_reason(record, timeoutMs);
    if (int err = exitSlot.write(encode_exit_record(record)); err != 0) {
        diag(std::string("cannot write ") + kExitFile + ": " + errno_text(err));
    }
}

// Records a job that never ran, so the server shows why instead of an orphaned job.
int fail_launch(int dirFd, std::int64_t startedAt, const std::string& message, int status) {
    diag(message);
    if (dirFd < 0) return status;
    ExitRecord record;
    record.launchError = message;
    record.startedAt = startedAt;
    record.endedAt = wall_ms();
    record_exit(record, 0);
    return status;
}

std::string launch_error_message(const Options& options, const LaunchResult& launch) {
    std::string err = errno_text(launch.error);
    switch (launch.failedAt) {
        case LaunchStage::Chdir:
            return work_folder_error(options.cwd, launch.error);
        case LaunchStage::Stdio:
            return "cannot give the job its files: " + err;
        case LaunchStage::Exec:
            return "cannot run claude: " + err + " (" + options.command[0] + ")";
        default:
            return "cannot start a process: " + err;
    }
}

int launch_exit_status(const LaunchResult& launch) {
    if (launch.failedAt != LaunchStage::Exec) return kExitLaunchFailed;
    return launch.error == ENOENT ? kExitNotFound : kExitNotRunnable;
}

// runner.json. A start time that cannot be read is recorded as 0 (no process matches it),
// and without its own start time the runner leaves its identity out (pid 0).
std::string runner_json(const Options& options, pid_t child, std::int64_t startedAt) {
    RunnerRecord record;
    if (auto self = claude_jobs::read_proc_stat(::getpid())) {
        record.runnerPid = ::getpid();
        record.runnerStartTime = self->startTime;
    }
    record.bootId = claude_jobs::current_boot_id();
    record.childPid = child;
    record.childPgid = child;
    if (auto stat = claude_jobs::read_proc_stat(child)) record.childStartTime = stat->startTime;
    record.program = options.command[0];
    record.startedAt = startedAt;
    return encode_runner_record(record);
}

int run(int argc, char** argv) {
    ensure_standard_descriptors();
    // The runner lives as long as the job; an inherited descriptor (say the server's protocol
    // pipe) would stay open that long.
    close_descriptors_from_3(-1, fd_limit());
    // A vanished stderr must cost a diagnostic, not the supervisor.
    ::signal(SIGPIPE, SIG_IGN);
    int signalFd = open_signal_fd();
    int signalErrno = errno;
    // Orphans of the job are reparented to the runner, not to init, so it can end and reap
    // every process of the job, also those that left its process group. (As a container's
    // first process the runner is their init anyway.)
    if (!become_subreaper()) diag("cannot become a child subreaper: " + errno_text(errno));

    std::int64_t startedAt = wall_ms();
    ParsedOptions parsed = parse_options(argc, argv);
    const Options& options = parsed.options;
    int dirFd = options.jobDir.empty() ? -1 : open_job_dir(options.jobDir);
    if (dirFd >= 0) {
        if (int err = exitSlot.reserve(dirFd, kExitFile); err != 0)
            diag(std::string("cannot reserve room for ") + kExitFile + ": " + errno_text(err));
    }
    if (!parsed.error.empty()) {
        int status =
            fail_launch(dirFd, startedAt, "bad runner command line: " + parsed.error, kExitUsage);
        diag(kUsage);
        return status;
    }
    if (dirFd < 0) {
        diag("cannot open job folder " + options.jobDir + ": " + errno_text(errno));
        return kExitLaunchFailed;
    }
    // Lower priority for the runner and, through inheritance, the whole job (a nicety:
    // failure changes nothing else).
    if (options.niceness > 0) ::setpriority(PRIO_PROCESS, 0, options.niceness);
    if (signalFd < 0) {
        return fail_launch(dirFd, startedAt, "cannot watch signals: " + errno_text(signalErrno),
                           kExitLaunchFailed);
    }

    ChildStdio stdio;
    if (options.terminal) {
        // The program talks to the runner's terminal; the job's files are still created.
        for (auto name : {kEventsFile, kStderrFile}) {
            int fd = open_log(dirFd, name);
            if (fd < 0) {
                return fail_launch(dirFd, startedAt,
                                   std::string("cannot open ") + name + ": " + errno_text(errno),
                                   kExitLaunchFailed);
            }
            ::close(fd);
        }
        if (!::isatty(0)) {
            return fail_launch(dirFd, startedAt, "--terminal needs a terminal as standard input",
                               kExitLaunchFailed);
        }
        stdio.in = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
        stdio.out = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
        stdio.err = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
        stdio.foreground = true;
    } else {
        stdio.in = open_prompt(dirFd);
    }
    if (stdio.in < 0) {
        return fail_launch(dirFd, startedAt,
                           std::string("cannot read ") + kPromptFile + ": " + errno_text(errno),
                           kExitLaunchFailed);
    }
    for (auto [fd, name] : {std::pair{&stdio.out, kEventsFile}, {&stdio.err, kStderrFile}}) {
        if (options.terminal) break;
        *fd = open_log(dirFd, name);
        if (*fd < 0) {
            return fail_launch(dirFd, startedAt,
                               std::string("cannot open ") + name + ": " + errno_text(errno),
                               kExitLaunchFailed);
        }
    }

    // Opened here, without following a symlink anywhere on the path, and entered by the child
    // with fchdir: a folder swapped for a symlink after the server's check fails the job.
    int workFolderFd = -1;
    if (!options.cwd.empty()) {
        workFolderFd = open_work_folder(options.cwd);
        if (workFolderFd < 0) {
            return fail_launch(dirFd, startedAt, work_folder_error(options.cwd, errno),
                               kExitLaunchFailed);
        }
    }

    startedAt = wall_ms();
    std::int64_t startedMonotonic = monotonic_ms();
    LaunchResult launch = launch_child(options, stdio, workFolderFd);
    // The child holds its own copies; the runner never writes the job's output.
    ::close(stdio.in);
    ::close(stdio.out);
    ::close(stdio.err);
    if (workFolderFd >= 0) ::close(workFolderFd);
    if (launch.pid < 0) {
        return fail_launch(dirFd, startedAt, launch_error_message(options, launch),
                           launch_exit_status(launch));
    }

    if (int err = write_file_atomically(dirFd, kRunnerFile,
                                        runner_json(options, launch.pid, startedAt), 0600,
                                        /*durable=*/true);
        err != 0) {
        // The job runs regardless; the server can still settle it from exit.json.
        diag(std::string("cannot write ") + kRunnerFile + ": " + errno_text(err));
    }

    Supervisor supervisor(options, signalFd, dirFd, launch.pid, startedMonotonic);
    SupervisionResult result = supervisor.run();

    ExitRecord record;
    if (WIFEXITED(result.waitStatus)) record.exitCode = WEXITSTATUS(result.waitStatus);
    if (WIFSIGNALED(result.waitStatus)) record.signal = WTERMSIG(result.waitStatus);
    record.cancelled = result.cancelled;
    record.timedOut = result.timedOut;
    record.noSpaceLeft = result.noSpaceLeft;
    record.startedAt = startedAt;
    record.endedAt = wall_ms();
    record_exit(record, options.timeoutMs);
    return runner_exit_status(record);
}

}  // namespace
}  // namespace cj::runner

int main(int argc, char** argv) {
    return cj::runner::run(argc, argv);
}

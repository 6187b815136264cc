// The job folder: the contract between claude-jobs-runner (the per-job supervisor), the server
// and every backend. One folder per job, stateDir/jobs/<jobId> (JobSpec::jobDir), created 0700
// by the server with prompt.txt in it; the runner fills in the rest. This header is the one
// place that names its files, builds the runner's command line and reads and writes its
// records. Standard library only; the functions live in the SDK's library (ClaudeJobs::sdk).
//
// Nothing here trusts a file's content: every reader is bounded in size, strict about the
// grammar, never throws on what it reads (only std::bad_alloc can leave it), and opens files
// relative to the folder without following a final symlink. See docs/abi.md for what a third
// party may rely on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claude_jobs/types.h"

namespace claude_jobs::job_folder {

// ---- The files ---------------------------------------------------------------------------
// Written by the server before the launch; the job's stdin.
inline constexpr char kPromptFile[] = "prompt.txt";
// The job's stdout (Claude Code's stream-json events) and stderr, appended by the job.
inline constexpr char kEventsFile[] = "events.jsonl";
inline constexpr char kStderrFile[] = "stderr.log";
// RunnerRecord: the runner's and the job's process identities, once the job runs.
inline constexpr char kRunnerFile[] = "runner.json";
// ExitRecord: how the job ended, written once, whole, by the runner (or by a backend's own
// supervisor). The server settles a job from it.
inline constexpr char kExitFile[] = "exit.json";
// The cancel request a backend leaves before it signals the runner: {"graceSec": N}.
inline constexpr char kCancelFile[] = "cancel.json";
// An interactive job's state lines (the tmux backend's hooks), read by the server.
inline constexpr char kInteractiveFile[] = "interactive.jsonl";
// The tmux backend's own: its pane program's environment (read once and removed) and the
// settings file with the hooks of an interactive job. A backend's own files take names of
// their own, never one of these.
inline constexpr char kPaneEnvFile[] = "pane-env";
inline constexpr char kClaudeSettingsFile[] = "claude-settings.json";

// SPEC §3.1: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, so an id is safe as one path component and
// in a name (a session, a container).
bool valid_job_id(std::string_view id);

// ---- The runner's command line -------------------------------------------------------------
//   claude-jobs-runner [--nice N] --job-dir DIR --cwd DIR --timeout SEC [--grace SEC]
//                      [--terminal] -- PROGRAM [ARGS...]
// --terminal: the program gets the runner's own terminal (stdin, stdout, stderr) instead of
// the job's files, as the terminal's foreground group; events.jsonl and stderr.log are still
// created. --grace: SIGTERM to SIGKILL on a cancel without cancel.json (default 10 s).
inline constexpr char kJobDirOption[] = "--job-dir";
inline constexpr char kCwdOption[] = "--cwd";
inline constexpr char kTimeoutOption[] = "--timeout";
inline constexpr char kGraceOption[] = "--grace";
inline constexpr char kNiceOption[] = "--nice";
inline constexpr char kTerminalOption[] = "--terminal";
inline constexpr char kEndOfOptions[] = "--";

struct RunnerCommand {
    std::string runner;  // argv[0]; "" when the runner is an entry point (a container's)
    std::string jobDir;
    std::string workFolder;
    std::int64_t timeoutSec = 0;  // 0 = no limit
    int niceness = 0;             // 1-19 lowers the job's priority; 0 passes nothing
    bool terminal = false;
    std::string program;  // what the job runs (claude)
    std::vector<std::string> args;

    // The command for spec as it stands: its job folder, work folder, limit, program and
    // arguments, run by runnerPath.
    static RunnerCommand for_job(const JobSpec& spec, const std::string& runnerPath);

    // The argument vector, argv[0] first (when runner is set).
    std::vector<std::string> argv() const;
};

// ---- runner.json -----------------------------------------------------------------------------
// Who runs the job. A pid is not an identity: a start time (/proc/<pid>/stat field 22, clock
// ticks since boot) and the boot id go with it. 0 for a start time the runner could not read.
struct RunnerRecord {
    std::int64_t runnerPid = 0;  // 0 when the runner's own identity is unknown
    std::uint64_t runnerStartTime = 0;
    std::string bootId;
    std::int64_t childPid = 0;   // the job's program, leader of its own process group
    std::int64_t childPgid = 0;  // equal to childPid
    std::uint64_t childStartTime = 0;
    std::string program;
    std::int64_t startedAt = 0;  // ms since the Unix epoch
};

// One line of JSON (newline included), keys in the order above.
std::string encode_runner_record(const RunnerRecord& record);

// Unknown keys are ignored (a newer runner may record more). False with a reason for anything
// without the child's pid and group (at least 2: 0, 1 and negative ones would make a kill()
// hit a group, init or everyone) and start time. A runner identity that is missing or
// unusable reads as runnerPid 0.
bool decode_runner_record(std::string_view text, RunnerRecord& out, std::string& why);

// jobDir/runner.json, decoded. False when it is missing, unreadable or not a record.
bool read_runner_record(const std::string& jobDir, RunnerRecord& out);

// ---- exit.json -------------------------------------------------------------------------------
struct ExitRecord {
    std::optional<int> exitCode;  // when the program exited by itself
    std::optional<int> signal;    // when a signal ended it
    std::string signalName;       // "SIGKILL"; the writer fills it in from signal when empty
    bool timedOut = false;
    bool cancelled = false;
    std::string launchError;     // the program never ran, and why; "" when it ran
    std::int64_t startedAt = 0;  // ms since the Unix epoch
    std::int64_t endedAt = 0;
    std::string reason;  // one line for a person: "exit code 3", "cancelled", ...
    // The job folder's filesystem had no space left (no_space_left()) when the job ended, so
    // its output, or the job itself, may have failed for want of it. Absent in records of
    // runners before it: false.
    bool noSpaceLeft = false;
};

// One line of JSON (newline included) with every key, null for an absent value:
// exitCode, signal, signalName, timedOut, cancelled, launchError, startedAt, endedAt, reason,
// noSpaceLeft.
std::string encode_exit_record(const ExitRecord& record);

// nullopt for anything but a JSON object. Within one, a value of the wrong type (or out of
// range) reads as absent, so a damaged record still says what it can.
std::optional<ExitRecord> decode_exit_record(std::string_view text);

// jobDir/exit.json, decoded; nullopt when it is missing or unreadable.
std::optional<ExitRecord> read_exit_record(const std::string& jobDir);

// "SIGKILL"; "SIG42" for a signal without a name.
std::string signal_name(int signal);

// ---- cancel.json -------------------------------------------------------------------------
// The longest grace a request may ask for.
inline constexpr std::int64_t kMaxGraceSec = 366LL * 24 * 3600;

std::string encode_cancel_request(int graceSec);

// The grace asked for, in milliseconds: graceSec as a non-negative number of seconds (a
// fraction allowed) of at most kMaxGraceSec. nullopt when the text says nothing usable.
std::optional<std::int64_t> decode_cancel_request(std::string_view text);

// Leaves jobDir/cancel.json, whole or not at all (temporary file + rename), so the runner
// gives the job graceSec (negative: 0) between SIGTERM and SIGKILL. fileMode is the file's
// (0644 when the runner runs as another user, in a container). False when it cannot be written.
bool write_cancel_request(const std::string& jobDir, int graceSec, std::uint32_t fileMode = 0600);

// The request in the folder open as dirFd (the runner's side); nullopt when there is none
// or it says nothing usable.
std::optional<std::int64_t> read_cancel_request(int dirFd);

// Whether jobDir/cancel.json exists: a stop was asked for.
bool cancel_requested(const std::string& jobDir);

// ---- Files -----------------------------------------------------------------------------------
// jobDir itself, never a symlink in its place; -1 with errno set on failure.
int open_job_dir(const std::string& jobDir);

// Replaces dirFd/name with content as one step (a temporary file created beside it with
// fileMode, then rename), so a reader sees the old file or the whole new one. durable: fsync
// the file and the folder too, so the record survives a crash. 0 or an errno value.
int write_file_atomically(int dirFd, const char* name, std::string_view content,
                          std::uint32_t fileMode, bool durable);

// Appends line and a newline to jobDir/name (created 0600), in one write: with O_APPEND, lines
// of concurrent writers never interleave. False when it could not be written whole.
bool append_line(const std::string& jobDir, const char* name, std::string_view line);

// dirFd/name when it is a regular file of at most maxBytes; nullopt otherwise.
std::optional<std::string> read_small_file(int dirFd, const char* name, std::size_t maxBytes);

// ---- Space -----------------------------------------------------------------------------------
// Below this much free space a filesystem counts as full: a log line, a record or the job
// index's next pages may not fit. The runner and the server judge it by this one rule.
inline constexpr std::uint64_t kNoSpaceBytes = 1024 * 1024;

// What the caller may still write there (root counts the blocks and inodes kept for root).
struct FolderSpace {
    std::uint64_t availableBytes = 0;
    std::uint64_t totalBytes = 0;
    std::uint64_t availableInodes = 0;
    bool inodesCounted = false;  // false for a filesystem without an inode limit
};

// The filesystem holding the folder open as dirFd, or at path; nullopt when it cannot be asked.
std::optional<FolderSpace> folder_space(int dirFd);
std::optional<FolderSpace> folder_space(const std::string& path);

// Fewer than kNoSpaceBytes free, or no inode left: writes there fail with ENOSPC.
bool no_space_left(const FolderSpace& space);

}  // namespace claude_jobs::job_folder

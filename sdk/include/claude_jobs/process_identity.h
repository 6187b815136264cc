// Telling whether a process is still the one that was started: a pid alone is not an identity
// (pids are reused), so it is paired with the process's start time (/proc/<pid>/stat field 22)
// and the boot id. Plus what a backend whose runner is a process on this machine does with
// it: ask whether the runner still runs, stop it, and end a job its runner abandoned.
// Linux only; standard library only in the header, the functions live in ClaudeJobs::sdk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "claude_jobs/result.h"
#include "claude_jobs/types.h"

namespace claude_jobs {

struct ProcStat {
    char state = '?';             // field 3: R, S, D, Z, X, ...
    std::int64_t pgrp = 0;        // field 5
    std::uint64_t startTime = 0;  // field 22, clock ticks since boot
};

// Parses the text of /proc/<pid>/stat. Allocates nothing and calls nothing, so a freshly
// forked child may use it. Fields are counted after the last ')' because the command name may
// hold spaces and parentheses.
bool parse_proc_stat(const char* text, std::size_t length, ProcStat& out) noexcept;

// The stat of a live or zombie process; nullopt when there is no such process.
std::optional<ProcStat> read_proc_stat(std::int64_t pid);

// /proc/sys/kernel/random/boot_id, trimmed; "" when unreadable.
std::string current_boot_id();

// Whether pid is a running (not zombie) process that started at startTime.
bool is_same_process(std::int64_t pid, std::uint64_t startTime);

// Sends sig to pid only if it is still the process that started at startTime. Uses a pidfd
// where the kernel has them, so a pid reused between the check and the signal is never hit.
// False when the process is gone or is another one. Never signals pid 0, 1 or below.
bool signal_if_same(std::int64_t pid, std::uint64_t startTime, int sig);

// Whether processes can be followed here: /proc readable and a boot id known (pass
// current_boot_id()). Unavailable naming `who` ("local-detached follows its jobs through /proc,
// which is not readable here; mount procfs") when not.
Result<void> check_procfs(const std::string& who, const std::string& currentBootId);

// Whether the runner at runnerPath can be run from here, as a person fixes it when it cannot
// (Unavailable, with errno): not an absolute path, missing, not a regular file, not executable
// ("…; make it executable (chmod +x …)"). `hint` ends the messages of a missing runner.
Result<void> check_runner(const std::string& runnerPath, const std::string& hint =
                                                             "reinstall claude-jobs so that "
                                                             "claude-jobs-runner sits beside the "
                                                             "claude-jobs binary");

// A process as a backend records it, to find it again after a restart.
struct ProcessIdentity {
    std::int64_t pid = 0;
    std::uint64_t startTime = 0;
    std::string bootId;  // the boot it was started in
};

// Recorded in another boot than `currentBootId`: the machine restarted since, so nothing of
// it runs. False when either id is unknown ("").
bool started_before_reboot(const ProcessIdentity& process, const std::string& currentBootId);

// How a job stands whose runner is `runner`, a process on this machine: Running while it is
// the same process in this boot, else Lost with a reason naming its pid (and the reboot).
JobStatus runner_status(const ProcessIdentity& runner, const std::string& currentBootId);

// Stops a job whose runner is `runner`: leaves the cancel request with graceSec in jobDir and
// sends the runner SIGTERM (it ends the job's whole group, SIGKILL after the grace, and
// records the end). A runner that is gone may have left its job running: that job's group
// is killed (kill_abandoned_job). Nothing started before a reboot is touched. Idempotent.
void stop_runner(const ProcessIdentity& runner, const std::string& jobDir, int graceSec,
                 const std::string& currentBootId);

// The runner is gone but may have left the job running (it was killed with SIGKILL, say):
// ends the job's whole process group, as runner.json records it, but only if its leader is
// still that process, so that a reused pid or group id is never hit.
void kill_abandoned_job(const std::string& jobDir);

}  // namespace claude_jobs

// What a backend reads and writes in a job folder to follow the job's supervisor
// (claude-jobs-runner): the runner's record of the job's process (runner.json) and the cancel
// request left for it (cancel.json). Shared by the backends that run the supervisor on this
// machine (local-detached, tmux). Nothing here trusts the files' contents or throws on them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace cj::plugin_common {

// What the runner records about itself and the job's own process (claude) once started.
struct RunnerRecord {
    std::int64_t runnerPid = 0;
    std::uint64_t runnerStartTime = 0;
    std::string bootId;
    std::int64_t childPgid = 0;
    std::int64_t childPid = 0;
    std::uint64_t childStartTime = 0;
};

// Unknown keys are ignored: the runner may record more than a backend needs. False with a
// reason for anything without the child's pid, group and start time.
bool decode_runner_record(const std::string& text, RunnerRecord& out, std::string& why);

// Reads jobDir/runner.json (not following symlinks, bounded). False when it is missing or
// unreadable.
bool read_runner_record(const std::string& jobDir, RunnerRecord& record);

std::string encode_cancel_request(int graceSec);

// Leaves jobDir/cancel.json (whole or not at all: temp file + rename), so the runner gives
// the job graceSec between SIGTERM and SIGKILL; `mode` is the file's (0644 when the runner
// runs as another user). False when it cannot be written.
bool write_cancel_request(const std::string& jobDir, int graceSec, mode_t mode = 0600);

// Whether jobDir/cancel.json exists: a stop was asked for.
bool cancel_requested(const std::string& jobDir);

// The supervisor is gone but may have left the job running (it was killed with SIGKILL, say):
// ends the job's whole process group, but only if its leader is still the process the runner
// recorded, so that a reused pid or group id is never hit.
void kill_abandoned_job(const std::string& jobDir);

}  // namespace cj::plugin_common

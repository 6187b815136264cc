// The JSON this backend reads and writes: its opaque per-job state (persisted by the host in
// JobHandle::backendState), the runner's record of the job's process (jobDir/runner.json), and
// the cancel request it leaves for the runner (jobDir/cancel.json).
#pragma once

#include <cstdint>
#include <string>

namespace cj::local_detached {

// Bumped when RunnerState's meaning changes; recover() refuses versions it does not know.
constexpr std::uint32_t kStateVersion = 1;

// Who supervises a job: enough to tell, after a restart, whether that process still runs.
struct RunnerState {
    std::int64_t runnerPid = 0;
    std::uint64_t runnerStartTime = 0;
    std::string bootId;
    std::string jobDir;
};

std::string encode_state(const RunnerState& state);

// False with a reason for anything but a well-formed state; never throws on bad input.
bool decode_state(const std::string& text, RunnerState& out, std::string& why);

// What the runner records about the job's own process (claude) once it has started it.
struct RunnerRecord {
    std::int64_t childPgid = 0;
    std::int64_t childPid = 0;
    std::uint64_t childStartTime = 0;
};

// Unknown keys are ignored: the runner may record more than this backend needs.
bool decode_runner_record(const std::string& text, RunnerRecord& out, std::string& why);

std::string encode_cancel_request(int graceSec);

}  // namespace cj::local_detached

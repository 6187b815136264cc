// The backend's opaque per-job state, persisted by the host in JobHandle::backendState. The
// runner's files (runner.json, cancel.json) are read and written by plugins/common.
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

}  // namespace cj::local_detached

// The container backend's opaque per-job state (JobHandle::backendState), enough to find the
// job's container again after a restart.
#pragma once

#include <cstdint>
#include <string>

namespace cj::container {

// Bumped when JobState's meaning changes; recover() refuses versions it does not know.
constexpr std::uint32_t kStateVersion = 1;

struct JobState {
    std::string container;    // its name
    std::string containerId;  // as `run` printed it
    std::string runtime;      // the runtime that started it (a path)
    std::string jobDir;
};

// JobHandle::backendState, and back (RunnerBackend finds these next to JobState).
std::string encode_state(const JobState& state);

// False with a reason for anything but a well-formed state; never throws on bad input.
bool decode_state(const std::string& text, JobState& out, std::string& why);

}  // namespace cj::container

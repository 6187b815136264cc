// The local-detached backend's settings (its object in the config file) and its opaque per-job
// state, persisted by the host in JobHandle::backendState. The runner's files (runner.json,
// cancel.json) are the job folder's contract (claude_jobs/job_folder.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "claude_jobs/process_identity.h"

namespace cj::local_detached {

// Bumped when RunnerState's meaning changes; recover() refuses versions it does not know.
constexpr std::uint32_t kStateVersion = 1;

// Settings (all optional): "niceness" (0-19, lowers the supervisor's priority) and "env" (an
// object of strings added to this instance's jobs' environment, replacing variables of the
// same name).
struct Settings {
    int niceness = 0;
    std::vector<std::pair<std::string, std::string>> env;
};

// Strict: false with a reason naming the key for an unknown key or a bad value.
bool parse_settings(const std::string& configJson, Settings& out, std::string& why);

// Who supervises a job: enough to tell, after a restart, whether that process still runs.
struct RunnerState {
    claude_jobs::ProcessIdentity runner;
    std::string jobDir;
};

// JobHandle::backendState, and back (RunnerBackend finds these next to RunnerState).
std::string encode_state(const RunnerState& state);

// False with a reason for anything but a well-formed state; never throws on bad input.
bool decode_state(const std::string& text, RunnerState& out, std::string& why);

}  // namespace cj::local_detached

// The tmux backend's per-job state (persisted by the host in JobHandle::backendState) and its
// settings (the backend's object in the config file).
#pragma once

#include <cstdint>
#include <string>

namespace cj::tmux {

// Bumped when PaneState's meaning changes; recover() refuses versions it does not know.
constexpr std::uint32_t kStateVersion = 1;

// Where a job runs and who its pane's program is (the pane helper, which starts the job's
// supervisor): enough to find the job again after a restart.
struct PaneState {
    std::string socket;   // tmux -L name
    std::string tmux;     // absolute path of the tmux program
    std::string session;  // exact session name
    std::string jobDir;
    std::string mode;          // "print" or "interactive"
    std::int64_t panePid = 0;  // the pane helper
    std::uint64_t paneStartTime = 0;
    std::string bootId;
};

// JobHandle::backendState, and back (RunnerBackend finds these next to PaneState).
std::string encode_state(const PaneState& state);
// False with a reason for anything but a well-formed state; never throws on bad input.
bool decode_state(const std::string& text, PaneState& out, std::string& why);

struct Settings {
    std::string socket = "claude-jobs";
    std::string mode = "print";
    std::int64_t keepSessionSec = 600;
    std::string tmux = "tmux";  // program name (looked up on PATH) or path
    int columns = 200;          // the detached window's size until a person attaches
    int rows = 50;
};

// Strict: unknown keys and bad values are refused with a message naming the key.
bool parse_settings(const std::string& configJson, Settings& out, std::string& why);

}  // namespace cj::tmux

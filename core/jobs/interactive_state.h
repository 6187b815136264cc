// The state of an interactive job, read from <job>/interactive.jsonl: one JSON record per
// line, appended by the job's backend and by Claude Code's hooks (SessionStart,
// UserPromptSubmit, PreToolUse, Stop, StopFailure, Notification, SessionEnd), plus InputSent (the
// backend typed something in), ScreenQuestion / ScreenClear (a question on screen before the
// session started). The format is the backend's contract with the core; see docs/backends/tmux.md.
// A job without the file is not interactive, and its view carries no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cj::jobs {

struct InteractiveState {
    std::string state;     // "starting", "working", "waiting_for_input", "asking", "ended"
    std::string question;  // when asking: what is asked
    std::string lastText;  // the last answer (Stop's last assistant message)
    std::string error;     // the last turn ended on this API error (StopFailure), "" if not
};

// Folds the records of `text` (whole lines; a torn last line is ignored) into the state.
InteractiveState fold_interactive_records(std::string_view text);

// Reads the job's file (its last 256 KiB). nullopt when the job has none.
std::optional<InteractiveState> read_interactive_state(const std::string& jobDir);

// Whether a wait should hand the job back: it waits for a person (or a model) to answer.
inline bool awaits_input(const InteractiveState& s) {
    return s.state == "waiting_for_input" || s.state == "asking";
}

}  // namespace cj::jobs

// The hook command of an interactive job. Claude Code runs it for each hook event with the
// event as JSON on stdin; it appends one summarized record to <job>/interactive.jsonl (the
// job's state: working, waiting for input, asking) and, so that the job's transcript and
// session id read like a print-mode job's, stream-json-shaped lines to <job>/events.jsonl:
// system/init on SessionStart, an assistant text on Stop (and StopFailure, a turn ended by an
// API error), an assistant tool call on PreToolUse. It writes nothing on stdout (Claude Code would
// take it as context) and always exits 0 (a failing hook must not disturb the session).
#pragma once

#include <string>

namespace cj::tmux {

int run_hook(int argc, char** argv);

// The records for one hook payload: the state line and the event line ("" when none).
struct HookLines {
    std::string state;
    std::string event;
};
HookLines hook_lines(const std::string& payload, long long nowMs);

}  // namespace cj::tmux

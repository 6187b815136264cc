// What the pane helper reads on its own screen, only before Claude Code's session has started
// (when no hook can speak yet): a question asked there, and whether the input line is up. And
// the prompt text as it is typed in. Pure functions, for the unit tests.
#pragma once

#include <string>

namespace cj::tmux {

// Whether a captured screen shows a question Claude Code waits on before its session starts
// (a dialog with a numbered choice); `question` gets its text, trimmed.
bool screen_question(const std::string& screen, std::string& question);

// Whether a captured screen shows Claude Code's input line (a line starting with "❯" below
// the banner, outside any dialog).
bool screen_ready(const std::string& screen);

// The prompt as typed into the pane: control characters other than newline and tab removed
// (an ESC could end the bracketed paste early), CR LF as LF.
std::string paste_text(const std::string& prompt);

}  // namespace cj::tmux

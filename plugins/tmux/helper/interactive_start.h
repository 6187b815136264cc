// Interactive mode's start-up, run by the pane program while the job starts: once Claude
// Code's SessionStart hook has been recorded and its input line is on screen, the prompt is
// typed in (bracketed paste, then Enter); until the session has started, a question Claude
// Code asks on screen (folder trust, bypass-permissions consent) is recorded in
// interactive.jsonl. These are the pane program's only looks at the screen.
#pragma once

#include <chrono>
#include <string>

namespace cj::tmux {

struct TmuxTarget {
    std::string tmux;     // absolute path of the tmux program
    std::string socket;   // -L name
    std::string session;  // exact session name
};

class InteractiveStart {
  public:
    InteractiveStart(TmuxTarget target, std::string jobDir);
    // Called about every 100 ms while the job runs; returns at once when there is nothing to do.
    void tick();

  private:
    using Clock = std::chrono::steady_clock;
    bool paste_prompt();
    std::string capture_screen();

    TmuxTarget target_;
    std::string jobDir_;
    Clock::time_point started_;
    Clock::time_point nextScreenCheck_{};
    Clock::time_point sessionStartedAt_{};
    bool sessionStarted_ = false;
    bool promptSent_ = false;
    std::string lastQuestion_;
};

}  // namespace cj::tmux

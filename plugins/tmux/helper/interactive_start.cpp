// Interactive mode's start-up (see interactive_start.h).
#include "interactive_start.h"

#include <nlohmann/json.hpp>

#include "../client.h"
#include "claude_jobs/job_folder.h"
#include "pane_io.h"
#include "screen.h"

namespace cj::tmux {

namespace {

constexpr auto kQuietBeforeScreenCheck = std::chrono::seconds(3);
constexpr auto kScreenCheckEvery = std::chrono::seconds(2);
// Should the input line never be recognised (a changed interface), the prompt still goes in.
constexpr auto kReadyFallback = std::chrono::seconds(15);
bool run_tmux(const TmuxTarget& t, std::vector<std::string> args, const std::string& input,
              std::string* out = nullptr) {
    args.insert(args.begin(), {t.tmux, "-L", t.socket});
    auto ran = run_client(args, std::nullopt, input);  // the pane's own environment
    if (!ran || ran->exitCode != 0) return false;
    if (out) *out = ran->out;
    return true;
}

}  // namespace

InteractiveStart::InteractiveStart(TmuxTarget target, std::string jobDir)
    : target_(std::move(target)), jobDir_(std::move(jobDir)), started_(Clock::now()) {}

std::string InteractiveStart::capture_screen() {
    std::string screen;
    run_tmux(target_, {"capture-pane", "-p", "-t", "=" + target_.session + ":"}, "", &screen);
    return screen;
}

bool InteractiveStart::paste_prompt() {
    std::string text = paste_text(read_all(jobDir_ + "/" + claude_jobs::job_folder::kPromptFile));
    if (text.empty()) return false;
    // Working from now on: the answer that follows is to this prompt.
    append_state(jobDir_, "{\"event\":\"InputSent\",\"at\":" + std::to_string(wall_ms()) + "}");
    std::string buffer = "cj-prompt-" + target_.session;
    std::string pane = "=" + target_.session + ":";
    return run_tmux(target_, {"load-buffer", "-b", buffer, "-"}, text) &&
           run_tmux(target_, {"paste-buffer", "-p", "-d", "-b", buffer, "-t", pane}, "") &&
           run_tmux(target_, {"send-keys", "-t", pane, "Enter"}, "");
}

void InteractiveStart::tick() {
    if (promptSent_) return;
    if (!sessionStarted_)
        sessionStarted_ = read_all(jobDir_ + "/" + claude_jobs::job_folder::kInteractiveFile)
                              .find("\"event\":\"SessionStart\"") != std::string::npos;
    auto now = Clock::now();
    if (sessionStarted_) {
        if (sessionStartedAt_ == Clock::time_point{}) sessionStartedAt_ = now;
        bool late = now - sessionStartedAt_ > kReadyFallback;
        if (late || screen_ready(capture_screen())) {
            promptSent_ = true;
            if (!paste_prompt()) say("claude-jobs: could not type the prompt in\n");
        }
        return;
    }
    // Before the session starts no hook can speak: look at the screen, now and then.
    if (now - started_ < kQuietBeforeScreenCheck || now < nextScreenCheck_) return;
    nextScreenCheck_ = now + kScreenCheckEvery;
    std::string question;
    bool asking = screen_question(capture_screen(), question);
    if (asking && question != lastQuestion_) {
        nlohmann::json record = {
            {"event", "ScreenQuestion"}, {"at", wall_ms()}, {"question", question}};
        append_state(jobDir_,
                     record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (!asking && !lastQuestion_.empty()) {
        append_state(jobDir_,
                     "{\"event\":\"ScreenClear\",\"at\":" + std::to_string(wall_ms()) + "}");
    }
    lastQuestion_ = asking ? question : "";
}

}  // namespace cj::tmux

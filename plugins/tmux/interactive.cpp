// Interactive argv and hook settings (see interactive.h).
#include "interactive.h"

#include <nlohmann/json.hpp>

#include "names.h"

namespace cj::tmux {

std::vector<std::string> interactive_args(const std::vector<std::string>& printArgs,
                                          const std::string& settingsPath) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < printArgs.size(); ++i) {
        const std::string& arg = printArgs[i];
        if (arg == "-p" || arg == "--print" || arg == "--verbose" ||
            arg == "--include-partial-messages")
            continue;
        if (arg == "--output-format" || arg == "--max-budget-usd" || arg == "--input-format") {
            ++i;  // and its value
            continue;
        }
        if (arg.rfind("--output-format=", 0) == 0 || arg.rfind("--max-budget-usd=", 0) == 0 ||
            arg.rfind("--input-format=", 0) == 0)
            continue;
        out.push_back(arg);
    }
    out.push_back("--settings");
    out.push_back(settingsPath);
    return out;
}

const std::vector<std::string>& hook_events() {
    static const std::vector<std::string> events = {
        "SessionStart", "UserPromptSubmit", "PreToolUse", "Stop",
        "StopFailure",  "Notification",     "SessionEnd"};
    return events;
}

std::string hook_settings_json(const std::string& helperPath, const std::string& jobDir) {
    std::string command = shell_join({helperPath, "hook", "--job-dir", jobDir});
    nlohmann::json hooks = nlohmann::json::object();
    for (const auto& event : hook_events())
        hooks[event] = nlohmann::json::array(
            {{{"hooks", nlohmann::json::array({{{"type", "command"}, {"command", command}}})}}});
    return nlohmann::json{{"hooks", hooks}}.dump(2) + "\n";
}

}  // namespace cj::tmux

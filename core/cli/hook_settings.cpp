#include "core/cli/hook_settings.h"

#include "core/util/shell_words.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::ordered_json;

using util::shell_word;

namespace {

std::string get(const config::Environment& env, const char* name) {
    auto it = env.find(name);
    return it == env.end() ? "" : it->second;
}


bool is_our_hook(const ordered_json& hook) {
    if (!hook.is_object()) return false;
    auto command = hook.find("command");
    return command != hook.end() && command->is_string() &&
           command->get<std::string>().find(" hook-wait") != std::string::npos &&
           command->get<std::string>().find("claude-jobs") != std::string::npos;
}

// The hook already there: a pointer into the settings, or nullptr.
ordered_json* find_our_hook(ordered_json& stop) {
    for (auto& group : stop) {
        if (!group.is_object() || !group.contains("hooks") || !group["hooks"].is_array()) continue;
        for (auto& hook : group["hooks"])
            if (is_our_hook(hook)) return &hook;
    }
    return nullptr;
}

}  // namespace

Result<std::string> claude_code_settings_path(const std::string& scope,
                                              const config::Environment& env,
                                              const std::string& projectDir) {
    if (scope == "project") {
        if (projectDir.empty()) return make_error(ErrorCode::InvalidArgument, "no project folder");
        return projectDir + "/.claude/settings.json";
    }
    std::string dir = get(env, "CLAUDE_CONFIG_DIR");
    if (!dir.empty()) return dir + "/settings.json";
    std::string home = get(env, "HOME");
    if (home.empty()) return make_error(ErrorCode::InvalidArgument, "HOME is not set");
    return home + "/.claude/settings.json";
}

std::string hook_command(const std::string& exe, const std::vector<std::string>& globalArgs) {
    std::string line = shell_word(exe);
    for (const auto& a : globalArgs) line += " " + shell_word(a);
    return line + " hook-wait --max-wait " + std::to_string(kHookMaxWaitSec);
}

Result<Merged> merge_stop_hook(const std::string& existingText, const std::string& command) {
    auto parsed = parse_config_object(existingText);
    if (!parsed) return parsed.error();
    Merged out;
    out.config = std::move(*parsed);
    if (!out.config.contains("hooks")) out.config["hooks"] = ordered_json::object();
    auto& hooks = out.config["hooks"];
    if (!hooks.is_object())
        return make_error(ErrorCode::InvalidArgument, "its hooks is not an object");
    if (!hooks.contains("Stop")) hooks["Stop"] = ordered_json::array();
    auto& stop = hooks["Stop"];
    if (!stop.is_array())
        return make_error(ErrorCode::InvalidArgument, "its hooks.Stop is not a list");
    ordered_json hook = {{"type", "command"},
                         {"command", command},
                         {"asyncRewake", true},
                         {"timeout", kHookTimeoutSec}};
    if (ordered_json* existing = find_our_hook(stop)) {
        out.change = *existing == hook ? Change::Unchanged : Change::Updated;
        *existing = hook;
        return out;
    }
    stop.push_back({{"hooks", ordered_json::array({hook})}});
    out.change = Change::Added;
    return out;
}

}  // namespace cj::cli

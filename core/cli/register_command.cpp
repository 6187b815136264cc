// register: wires this server into an MCP client. Claude Code through its own
// `claude mcp add` when claude is found (else its documented config file); Claude Desktop
// through its config file for this OS. Files are merged (every other key and server kept),
// backed up first, replaced atomically; a second run changes nothing and says so. The entry's
// env carries claude's path and this shell's PATH, so the server finds claude however the
// client starts it.
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "core/cli/client_config.h"
#include "core/cli/commands.h"
#include "core/cli/hook_settings.h"
#include "core/cli/program.h"
#include "core/jobs/claude_program.h"
#include "core/jobs/start_request.h"
#include "core/logging/log.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::cli {

using nlohmann::ordered_json;

namespace {

constexpr auto kClaudeLimit = std::chrono::seconds(60);
constexpr std::size_t kMaxConfigFile = 64 << 20;

std::string self_path() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "claude-jobs";
}

std::string absolute(const std::string& path) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

// The MSIX packages of Claude Desktop under %LOCALAPPDATA%\Packages (Windows only).
std::vector<MsixPackage> msix_packages(const config::Environment& env) {
    std::vector<MsixPackage> found;
    auto local = env.find("LOCALAPPDATA");
    if (current_os() != Os::Windows || local == env.end()) return found;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(local->second + "/Packages", ec)) {
        std::string name = e.path().filename().string();
        if (name.rfind("Claude_", 0) != 0) continue;
        bool has = std::filesystem::exists(
            e.path() / "LocalCache" / "Roaming" / "Claude" / "claude_desktop_config.json", ec);
        found.push_back({name, has});
    }
    return found;
}

std::string read_existing(const std::string& path, claude_jobs::Error* error) {
    auto text = util::read_file(path, kMaxConfigFile);
    if (!text) {
        *error = text.error();
        return {};
    }
    return text->value_or("");
}

using MergeFn = std::function<claude_jobs::Result<Merged>(const std::string& existing)>;

// Merges into the file at path what `merge` adds; `what` names it in messages, `shown` is
// what a dry run prints.
int merge_file(const std::string& path, const std::string& what, const MergeFn& merge,
               const ordered_json& shown, bool dryRun, const std::string& afterwards) {
    claude_jobs::Error readError;
    std::string existing = read_existing(path, &readError);
    if (!readError.message.empty()) return report_error(readError.message);
    auto merged = merge(existing);
    if (!merged) return report_error(path + ": " + merged.error().message);
    if (merged->change == Change::Unchanged) {
        std::printf("%s: %s is already registered; no change\n", path.c_str(), what.c_str());
        return kExitOk;
    }
    const char* verb = merged->change == Change::Added ? "add" : "update";
    if (dryRun) {
        std::printf("would %s %s in %s:\n%s\n", verb, what.c_str(), path.c_str(),
                    shown.dump(2).c_str());
        return kExitOk;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    auto written = replace_file_with_backup(path, merged->config.dump(2) + "\n");
    if (!written) return report_error(written.error().message);
    std::printf("%s %s in %s%s\n", merged->change == Change::Added ? "added" : "updated",
                what.c_str(), path.c_str(),
                written->empty() ? "" : (" (backup: " + *written + ")").c_str());
    if (!afterwards.empty()) std::printf("%s\n", afterwards.c_str());
    return kExitOk;
}

int merge_into(const std::string& path, const std::string& name, const ordered_json& entry,
               bool dryRun, const std::string& afterwards) {
    return merge_file(
        path, name, [&](const std::string& existing) { return merge_server(existing, name, entry); },
        ordered_json({{name, entry}}), dryRun, afterwards);
}

// The Stop hook that wakes an idle session when one of its jobs ends (hook-wait).
int register_stop_hook(const RegisterOptions& options, const std::string& exe,
                       const std::vector<std::string>& args) {
    char cwd[PATH_MAX];
    std::string project = ::getcwd(cwd, sizeof cwd) ? cwd : "";
    auto file = claude_code_settings_path(options.scope, config::current_environment(), project);
    if (!file) return report_error(file.error());
    std::string command = hook_command(exe, args);
    return merge_file(
        *file, "the Stop hook (hook-wait)",
        [&](const std::string& existing) { return merge_stop_hook(existing, command); },
        ordered_json({{"hooks", {{"Stop", {{{"hooks", {{{"type", "command"}, {"command", command},
                                                        {"asyncRewake", true}}}}}}}}}}),
        options.dryRun, "Claude Code runs it after each turn of its next sessions");
}

// What Claude Code already has under that name in the file for that scope.
ordered_json current_entry(const std::string& path, const std::string& name) {
    claude_jobs::Error ignored;
    auto parsed = util::parse_json_input<ordered_json>(read_existing(path, &ignored));
    ordered_json& doc = parsed.value;
    if (!parsed.ok() || !doc.is_object() || !doc.contains("mcpServers") ||
        !doc["mcpServers"].is_object() || !doc["mcpServers"].contains(name))
        return nullptr;
    return std::move(doc["mcpServers"][name]);
}

// What the server needs from this shell that a client may not give it: claude's absolute path
// and a PATH that finds claude's interpreter (Claude Desktop starts servers with a minimal
// PATH). A claude that cannot run now is said, not refused: it may be installed later.
ordered_json server_env(const config::Config* config) {
    ordered_json env = ordered_json::object();
    auto claude = jobs::find_runnable_claude(config ? config->claude.path : "claude",
                                             jobs::process_environment());
    if (claude)
        env["CLAUDE_CLI_PATH"] = *claude;
    else
        std::fprintf(stderr, "claude-jobs: warning: %s\n", claude.error().message.c_str());
    const char* path = std::getenv("PATH");
    if (path && *path) env["PATH"] = path;
    return env;
}

int register_claude_code(const RegisterOptions& options,
                         const std::optional<std::string>& configPath, const std::string& exe,
                         const std::vector<std::string>& args) {
    auto env = config::current_environment();
    auto config = config::load(configPath, env);
    ordered_json serverEnv = server_env(config ? &*config : nullptr);
    ordered_json entry = {{"type", "stdio"}, {"command", exe}, {"args", args}, {"env", serverEnv}};
    if (!options.configFile.empty())
        return merge_into(options.configFile, options.name, entry, options.dryRun, "");
    char cwd[PATH_MAX];
    std::string project = ::getcwd(cwd, sizeof cwd) ? cwd : "";
    auto file = claude_code_config_path(options.scope, env, project);
    if (!file) return report_error(file.error());

    // The claude the config names (claude.path, $CLAUDE_CLI_PATH), else the one on PATH.
    const char* pathEnv = std::getenv("PATH");
    std::string claude =
        find_program(config ? config->claude.path : "claude", pathEnv ? pathEnv : "");
    if (claude.empty()) {
        std::fprintf(stderr, "claude not found on PATH: writing %s directly\n", file->c_str());
        return merge_into(*file, options.name, entry, options.dryRun,
                          "Claude Code loads it in its next session");
    }
    ordered_json current = current_entry(*file, options.name);
    if (current.is_object() && current.value("command", "") == exe &&
        current.value("args", ordered_json::array()) == ordered_json(args) &&
        current.value("env", ordered_json::object()) == serverEnv) {
        std::printf("%s: %s is already registered (%s scope); no change\n", file->c_str(),
                    options.name.c_str(), options.scope.c_str());
        return kExitOk;
    }
    // The name before the -e options: -e takes every value up to the next option.
    std::vector<std::string> add = {claude, "mcp", "add", "--scope", options.scope, options.name};
    for (const auto& [key, value] : serverEnv.items())
        add.insert(add.end(), {"-e", key + "=" + value.get<std::string>()});
    add.insert(add.end(), {"--", exe});
    add.insert(add.end(), args.begin(), args.end());
    std::vector<std::string> remove = {claude,    "mcp",         "remove",
                                       "--scope", options.scope, options.name};
    if (options.dryRun) {
        std::string line;
        if (!current.is_null()) {
            for (const auto& w : remove) line += (line.empty() ? "" : " ") + w;
            line += "\n";
        }
        std::string addLine;
        for (const auto& w : add) addLine += (addLine.empty() ? "" : " ") + w;
        std::printf("would run:\n%s%s\n", line.c_str(), addLine.c_str());
        return kExitOk;
    }
    if (!current.is_null()) {  // another command under that name: replace it
        auto removed = run_program(remove, kClaudeLimit);
        if (!removed || removed->exitCode != 0)
            return report_error("claude mcp remove failed: " +
                                (removed ? removed->output : removed.error().message));
    }
    auto added = run_program(add, kClaudeLimit);
    if (!added) return report_error("cannot run claude: " + added.error().message);
    if (added->exitCode != 0)
        return report_error("claude mcp add failed" +
                            (added->timedOut ? std::string(" (no answer in 60 s)") : "") + ": " +
                            added->output);
    std::fputs(added->output.c_str(), stdout);
    std::printf("registered %s with Claude Code (%s scope) through %s\n", options.name.c_str(),
                options.scope.c_str(), claude.c_str());
    return kExitOk;
}

}  // namespace

int run_register(const GlobalOptions& global, const RegisterOptions& options) {
    cj::logging::init(global.logLevel.empty() ? "off" : global.logLevel, global.logFile);
    std::string exe = self_path();
    std::vector<std::string> args;
    if (global.config) args = {"--config", absolute(*global.config)};
    if (options.client == "claude-code") {
        int rc = register_claude_code(options, global.config, exe, args);
        if (rc != kExitOk || !options.hooks) return rc;
        return register_stop_hook(options, exe, args);
    }
    if (options.hooks) return report_error("--hooks is for --client claude-code", kExitUsage);

    auto config = config::load(global.config, config::current_environment());
    ordered_json entry = {
        {"command", exe}, {"args", args}, {"env", server_env(config ? &*config : nullptr)}};
    std::string path = options.configFile;
    if (path.empty()) {
        auto env = config::current_environment();
        auto chosen = desktop_config_path(current_os(), env, msix_packages(env));
        if (!chosen) return report_error(chosen.error());
        path = *chosen;
    }
    return merge_into(path, options.name, entry, options.dryRun,
                      "restart Claude Desktop to load it");
}

}  // namespace cj::cli

// doctor: checks what a setup needs, one line per check (ok / warn / FAIL) with how to fix
// what is wrong. Exit 1 when any check fails. The backend checks are each backend's own
// health(); the config check is the loader's own message, which names the key's path.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "claude_jobs/job_folder.h"

#include "core/cli/commands.h"
#include "core/cli/program.h"
#include "core/cli/table.h"
#include "core/logging/log.h"
#include "core/transcript/text.h"

namespace cj::cli {

using nlohmann::json;

namespace {

constexpr auto kVersionLimit = std::chrono::seconds(10);

enum class Level { Ok, Warn, Fail };

struct Check {
    std::string name;
    Level level = Level::Ok;
    std::string detail;
    std::string fix;
    explicit Check(std::string n, Level l = Level::Ok, std::string d = {}, std::string f = {})
        : name(std::move(n)), level(l), detail(std::move(d)), fix(std::move(f)) {}
};

const char* level_name(Level l) {
    return l == Level::Ok ? "ok" : l == Level::Warn ? "warn" : "fail";
}

Check check_claude(const config::Config& config) {
    Check c("claude");
    const char* pathEnv = std::getenv("PATH");
    std::string found = find_program(config.claude.path, pathEnv ? pathEnv : "");
    if (found.empty()) {
        c.level = Level::Fail;
        c.detail = "\"" + config.claude.path + "\" not found" +
                   (config.claude.path.find('/') == std::string::npos ? " on PATH" : "");
        c.fix =
            "install Claude Code (npm install -g @anthropic-ai/claude-code), or set claude.path "
            "in the config (or $CLAUDE_CLI_PATH) to its absolute path";
        return c;
    }
    auto ran = run_program({found, "--version"}, kVersionLimit);
    if (!ran) {
        c.level = Level::Fail;
        c.detail = found + ": " + ran.error().message;
        c.fix = "make it executable, or point claude.path at a working claude";
    } else if (ran->timedOut) {
        c.level = Level::Warn;
        c.detail = found + " --version did not answer within 10 s";
        c.fix = "run it by hand to see what it waits for";
    } else if (ran->exitCode != 0) {
        c.level = Level::Fail;
        c.detail = found + " --version failed (exit " + std::to_string(ran->exitCode) +
                   "): " + transcript::one_line(ran->output, 300);
        c.fix = "reinstall Claude Code, or point claude.path at a working claude";
    } else {
        c.detail = transcript::one_line(ran->output, 100) + " at " + found;
        if (config.claude.path.find('/') == std::string::npos)
            c.fix =
                "found on this shell's PATH; MCP clients often start servers with a shorter "
                "one: if jobs fail with \"cannot run claude\", set claude.path to " +
                found;
    }
    return c;
}

Check check_state_dir(const std::string& dir) {
    Check c("state dir");
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        c.level = Level::Warn;
        c.detail = dir + " does not exist yet";
        c.fix = "nothing to do: it is created (0700) on first use";
        return c;
    }
    c.detail = dir;
    if (!S_ISDIR(st.st_mode)) {
        c.level = Level::Fail;
        c.detail += S_ISLNK(st.st_mode) ? " is a symlink" : " is not a folder";
        c.fix = "point stateDir at a real folder, or move " + dir + " away";
    } else if (st.st_uid != ::geteuid()) {
        c.level = Level::Fail;
        c.detail += " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
                    std::to_string(::geteuid()) + ")";
        c.fix = "chown -R " + std::to_string(::geteuid()) + " " + dir +
                ", or use a stateDir of your own";
    } else if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        c.level = Level::Fail;
        c.detail += " has mode " + std::string(mode) + ": others can read job prompts and output";
        c.fix = "chmod 700 " + dir;
    } else {
        c.detail += " (yours, 0700)";
    }
    return c;
}

// Jobs write their logs under the state dir and the job index lives there: a disk that fills
// up kills jobs and keeps their ends from being recorded until space returns.
constexpr std::uint64_t kLowSpaceBytes = 1ULL << 30;

std::string size_text(std::uint64_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

Check check_disk_space(const std::string& dir) {
    namespace folder = claude_jobs::job_folder;
    Check c("disk space");
    // A state dir not made yet will be made on the filesystem of the nearest folder above it.
    std::filesystem::path probe = dir;
    std::error_code ec;
    while (!std::filesystem::exists(probe, ec) && probe.has_parent_path() &&
           probe.parent_path() != probe)
        probe = probe.parent_path();
    auto space = folder::folder_space(probe.string());
    if (!space) {
        c.level = Level::Warn;
        c.detail = "cannot ask the filesystem of " + probe.string() + ": " + std::strerror(errno);
        return c;
    }
    c.detail = size_text(space->availableBytes) + " free of " + size_text(space->totalBytes) +
               " where the state dir is (" + probe.string() + ")";
    if (space->inodesCounted && space->availableInodes == 0) c.detail += ", and no inode left";
    std::string fix = "free some space there (job logs are in " + dir +
                      "/jobs; `claude-jobs gc` removes ended jobs past their retention), or "
                      "set stateDir to a folder on a disk with room";
    if (folder::no_space_left(*space)) {
        c.level = Level::Fail;
        c.fix =
            "jobs fail with \"no space left on device\" and their ends cannot be recorded: " + fix;
    } else if (space->availableBytes < kLowSpaceBytes) {
        c.level = Level::Warn;
        c.fix = "a job that fills the disk fails with \"no space left on device\": " + fix;
    }
    return c;
}

// The line is already headed "backend NAME": the reason is said without naming it again.
std::string without_backend_name(const std::string& reason, const std::string& name) {
    std::string prefix = "backend \"" + name + "\" is unavailable: ";
    return reason.rfind(prefix, 0) == 0 ? reason.substr(prefix.size()) : reason;
}

std::vector<Check> check_app(const config::Config& config) {
    std::vector<Check> checks;
    auto app = app::App::create(config, app::Layout::discover());
    if (!app) {
        checks.push_back(Check("job index", Level::Fail, app.error().message,
                               "make the state dir writable for you, or set stateDir"));
        return checks;
    }
    auto integrity = (*app)->index().integrity_check();
    if (!integrity || !integrity->empty())
        checks.push_back(Check(
            "job index", Level::Fail,
            config.stateDir + "/jobs.db: " +
                (integrity ? transcript::one_line(*integrity, 300) : integrity.error().message),
            "stop every claude-jobs using it, then move jobs.db (and jobs.db-wal, "
            "jobs.db-shm) aside; the job list starts empty, job folders stay"));
    else
        checks.push_back(
            Check("job index", Level::Ok, config.stateDir + "/jobs.db passes quick_check", ""));

    const auto& registry = (*app)->plugins();
    for (const auto& f : registry.folders()) {
        if (f.found && f.error.empty())
            checks.push_back(Check("plugin folder " + f.path, Level::Ok,
                                   std::to_string(f.modules) + " module(s)", ""));
        else
            checks.push_back(Check("plugin folder " + f.path, Level::Warn,
                                   f.error.empty() ? "not found" : f.error,
                                   "create it, or remove it from pluginDirs"));
    }
    for (const auto& m : registry.reports()) {
        if (m.loaded)
            checks.push_back(Check("module " + m.name, Level::Ok,
                                   m.version + " (ABI " + std::to_string(m.abiMajor) + "." +
                                       std::to_string(m.abiMinor) + ") from " + m.path,
                                   ""));
        else
            checks.push_back(Check(
                "module " + (m.name.empty() ? m.path : m.name), Level::Warn, "refused: " + m.error,
                "rebuild it against this claude-jobs's SDK, or remove it from the "
                "plugin folder"));
    }
    for (const auto& b : (*app)->service().backends_report()) {
        const std::string& name = b.name;
        const std::string& plugin = b.plugin;
        Check c("backend " + name);
        if (b.available) {
            c.detail = "plugin " + plugin + ", usable" + (b.isDefault ? " (default)" : "");
        } else {
            c.level = Level::Fail;
            c.detail = without_backend_name(b.reason, name);
            bool loaded = false;
            for (const auto& m : registry.reports())
                if (m.loaded && m.name == plugin) loaded = true;
            if (!loaded)
                c.fix = "build and install the \"" + plugin + "\" module into a plugin folder (" +
                        app::Layout::discover().pluginDir + ", or one in pluginDirs), or remove " +
                        "backend \"" + name + "\" from the config";
            else
                c.fix =
                    "install what the backend needs (above), or fix its settings under backends." +
                    name;
        }
        checks.push_back(c);
    }
    for (const auto& w : (*app)->service().setup_warnings())
        checks.push_back(Check("setup", Level::Warn, w, ""));
    return checks;
}

}  // namespace

int run_doctor(const GlobalOptions& global, bool asJson) {
    cj::logging::init(global.logLevel.empty() ? "off" : global.logLevel, global.logFile);
    std::vector<Check> checks;
    auto env = config::current_environment();
    auto loaded = config::load(global.config, env);
    config::Config config;
    if (loaded) {
        checks.push_back(Check("config", Level::Ok,
                               loaded->sourcePath.empty() ? "no config file; built-in defaults"
                                                          : loaded->sourcePath + " is valid",
                               ""));
        config = *loaded;
    } else {
        checks.push_back(
            Check("config", Level::Fail, loaded.error().message,
                  "fix that key (docs/configuration.md lists every key); the checks below "
                  "use the built-in defaults"));
        auto defaults = config::parse("{}", "built-in defaults", env);
        if (!defaults) return report_error(defaults.error().message);
        config = *defaults;
    }
    checks.push_back(check_claude(config));
    checks.push_back(check_state_dir(config.stateDir));
    checks.push_back(check_disk_space(config.stateDir));
    for (auto& c : check_app(config)) checks.push_back(std::move(c));

    bool failed = false;
    for (const auto& c : checks) failed = failed || c.level == Level::Fail;
    if (asJson) {
        json list = json::array();
        for (const auto& c : checks) {
            json j = {{"check", c.name}, {"level", level_name(c.level)}, {"detail", c.detail}};
            if (!c.fix.empty()) j["fix"] = c.fix;
            list.push_back(j);
        }
        std::printf("%s\n", json({{"ok", !failed}, {"checks", list}}).dump(2).c_str());
        return failed ? kExitFailed : kExitOk;
    }
    bool colour = colour_stdout();
    std::string out;
    for (const auto& c : checks) {
        Tone tone = c.level == Level::Ok     ? Tone::Good
                    : c.level == Level::Warn ? Tone::Warn
                                             : Tone::Bad;
        std::string mark = c.level == Level::Ok ? "ok  " : c.level == Level::Warn ? "warn" : "FAIL";
        out += paint(mark, tone, colour) + "  " + paint(c.name, Tone::Bold, colour) + ": " +
               clean_cell(c.detail) + "\n";
        if (!c.fix.empty())
            out += std::string(c.level == Level::Ok ? "      note: " : "      fix: ") +
                   clean_cell(c.fix) + "\n";
    }
    out += failed ? "some checks failed\n" : "all checks passed\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return failed ? kExitFailed : kExitOk;
}

}  // namespace cj::cli

// The server's configuration (SPEC §7): where it is found, what it holds, and how a job's
// backend is chosen. Loading is strict: an unknown key is an error naming its path.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"

namespace cj::config {

struct BackendConfig {
    std::string name;         // the key under "backends", e.g. "local"
    std::string plugin;       // module name, e.g. "local-detached"
    nlohmann::json settings;  // the backend's object without "plugin" (passed to the module)
    std::string isolation;    // "isolation": its jobs' default (not passed to the module)
};

struct Route {
    std::string workFolder;  // glob over the real path: "*" within a segment, "**" any depth
    std::string backend;
    std::string isolation;  // "" = the configured default (isolation.mode)
};

// Where jobs work by default, and how long their worktrees or copies are kept (docs/isolation.md).
struct IsolationConfig {
    std::string mode = "none";  // none, worktree, copy
    int keepDays = 7;           // 0 = keep until discarded
};

struct ClaudeConfig {
    std::string path = "claude";                       // $CLAUDE_CLI_PATH overrides the default
    std::string permissionMode = "bypassPermissions";  // "" = pass no permission flag
    std::vector<std::string> extraArgs;
    std::map<std::string, std::string> env;  // added to every job's environment
    std::vector<std::string> removeEnv;      // names dropped from the server's environment
};

struct Limits {
    std::int64_t maxPromptBytes = 1 << 20;
    std::int64_t maxMessageBytes = 8 << 20;
    // Money and usage limits (docs/limits.md).
    std::optional<double> maxDailyUsd;    // spent per UTC day, from the cost ledger
    std::optional<double> maxRunningUsd;  // the budgets of the queued and running jobs together
    std::optional<double> maxBudgetUsd;   // a job's maxBudgetUsd when its start gives none
    std::string onBudget = "refuse";      // refuse | queue: a start that would pass a budget
    bool queueWhileLimited = true;        // new starts queue while a usage limit is in force
    bool resumeAfterLimit = false;        // the default of claude_start's resumeAfterLimit
    std::int64_t resumeMarginSec = 60;    // resumed this long after resetsAt
    std::int64_t maxResumes = 3;          // resumes of one chain of jobs
};

// How a job's owner is told that it ended (docs/notifications.md).
struct NotifyConfig {
    bool channel = true;  // notifications/claude/channel to the connection that started it
};

// Which protocol eras the server offers (docs/protocol.md).
struct ProtocolConfig {
    // server/discover answered (the default), so clients that probe with it (Claude Code)
    // talk 2026-07-28; false: -32601, and they fall back to initialize. The era is served
    // either way to clients that send its _meta. $CLAUDE_JOBS_DISCOVER (0 or 1) wins.
    bool discover = true;
};

struct Config {
    std::string sourcePath;  // the file it came from; "" for built-in defaults
    std::string stateDir;    // resolved (SPEC §3.4 order), absolute
    std::string defaultBackend = "local";
    std::vector<BackendConfig> backends;  // file order; built-in: {"local", "local-detached"}
    std::vector<Route> routes;
    std::vector<std::string> pluginDirs;          // "~" expanded; searched before the built-in dir
    std::vector<std::string> allowedWorkFolders;  // "~" expanded; empty = any folder
    std::string defaultWorkFolder;  // $CLAUDE_ASYNC_DEFAULT_CWD, else "" (the server's cwd)
    ClaudeConfig claude;
    int maxConcurrentJobs = 4;
    std::int64_t defaultTimeoutSec = 14400;  // 0 = none
    std::int64_t maxTimeoutSec = 86400;      // 0 = none
    int maxDepth = 2;
    int retentionDays = 7;  // 0 = keep forever
    IsolationConfig isolation;
    Limits limits;
    NotifyConfig notify;
    ProtocolConfig protocol;
    std::string logLevel = "info";
    std::string logFile;

    const BackendConfig* find_backend(const std::string& name) const;
};

// The environment the loader reads: HOME, XDG_*, CLAUDE_JOBS_CONFIG, CLAUDE_CLI_PATH,
// CLAUDE_ASYNC_JOB_DIR, CLAUDE_ASYNC_DEFAULT_CWD, CLAUDE_JOBS_DISCOVER. Passed in so tests need not
// touch the process environment.
using Environment = std::map<std::string, std::string>;
Environment current_environment();

// Finds and parses the config: cliPath, else $CLAUDE_JOBS_CONFIG, else
// $XDG_CONFIG_HOME/claude-jobs/config.json, else ~/.config/claude-jobs/config.json; none of
// them existing means built-in defaults. A named file (cliPath or $CLAUDE_JOBS_CONFIG) that
// does not exist is an error. Errors are InvalidArgument with the file and key path, e.g.
// "/home/me/.config/claude-jobs/config.json: backends.watch.plugn: unknown key".
claude_jobs::Result<Config> load(const std::optional<std::string>& cliPath, const Environment& env);

// Parses config text (the same checks, no lookup); `origin` names it in messages.
claude_jobs::Result<Config> parse(const std::string& text, const std::string& origin,
                                  const Environment& env);

// The backend for a job: `requested` if non-empty, else the first route whose glob matches
// workFolder, else defaultBackend. Unknown names are the caller's to refuse.
// The isolation for a job: `requested` if non-empty, else the first matching route's, else
// its backend's, else isolation.mode.
std::string choose_isolation(const Config& config, const std::string& requested,
                             const std::string& workFolder, const std::string& backend = "");

std::string choose_backend(const Config& config, const std::string& requested,
                           const std::string& workFolder);

// Glob match used by routes: '*' any run of characters but '/', '**' any run including '/',
// '?' one character but '/'. "/a/**" matches "/a" itself and everything below it.
bool glob_match(const std::string& pattern, const std::string& path);

}  // namespace cj::config

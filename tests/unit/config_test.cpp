// Tests of the config loader: where the file is looked up, every key's checks and the path in
// its error, environment fallbacks, "~" expansion, route globs and backend choice.
#include "core/config/config.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using cj::config::Config;
using cj::config::Environment;
namespace fs = std::filesystem;

using cj::testing::TempDir;

Config parse_ok(const std::string& text, const Environment& env = {{"HOME", "/home/me"}}) {
    auto config = cj::config::parse(text, "test.json", env);
    EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message) << "\n" << text;
    return config.ok() ? *config : Config{};
}

std::string parse_error(const std::string& text, const Environment& env = {{"HOME", "/home/me"}}) {
    auto config = cj::config::parse(text, "test.json", env);
    EXPECT_FALSE(config.ok()) << "accepted: " << text;
    if (config.ok()) return "";
    EXPECT_EQ(config.error().code, claude_jobs::ErrorCode::InvalidArgument);
    return config.error().message;
}

TEST(ConfigTest, EmptyObjectGivesDefaults) {
    Config config = parse_ok("{}");
    EXPECT_EQ(config.defaultBackend, "local");
    ASSERT_EQ(config.backends.size(), 1u);
    EXPECT_EQ(config.backends[0].name, "local");
    EXPECT_EQ(config.backends[0].plugin, "local-detached");
    EXPECT_TRUE(config.backends[0].settings.empty());
    EXPECT_EQ(config.claude.path, "claude");
    EXPECT_EQ(config.claude.permissionMode, "bypassPermissions");
    EXPECT_EQ(config.maxConcurrentJobs, 4);
    EXPECT_EQ(config.defaultTimeoutSec, 14400);
    EXPECT_EQ(config.maxTimeoutSec, 86400);
    EXPECT_EQ(config.maxDepth, 2);
    EXPECT_EQ(config.retentionDays, 7);
    EXPECT_EQ(config.limits.maxPromptBytes, 1 << 20);
    EXPECT_EQ(config.limits.maxMessageBytes, 8 << 20);
    EXPECT_EQ(config.logLevel, "info");
    EXPECT_EQ(config.stateDir, "/home/me/.local/state/claude-jobs");
    EXPECT_TRUE(config.routes.empty());
    EXPECT_TRUE(config.pluginDirs.empty());
    EXPECT_TRUE(config.allowedWorkFolders.empty());
    EXPECT_EQ(config.defaultWorkFolder, "");
}

TEST(ConfigTest, ReadsEveryKey) {
    Config config = parse_ok(R"({
        "$schema": "https://example.invalid/claude-jobs.schema.json",
        "defaultBackend": "watch",
        "backends": {
            "watch": {"plugin": "tmux", "mode": "print"},
            "local": {"plugin": "local-detached"},
            "sandbox": {"plugin": "container", "runtime": "podman", "memory": "4g"}
        },
        "routes": [{"workFolder": "/srv/untrusted/**", "backend": "sandbox"}],
        "pluginDirs": ["/opt/cj/plugins"],
        "allowedWorkFolders": ["/srv", "/home/me/src"],
        "claude": {"path": "/usr/local/bin/claude", "permissionMode": "acceptEdits",
                   "extraArgs": ["--add-dir", "/tmp"], "env": {"FOO": "bar"},
                   "removeEnv": ["ANTHROPIC_API_KEY"]},
        "maxConcurrentJobs": 8, "defaultTimeoutSec": 600, "maxTimeoutSec": 3600,
        "maxDepth": 3, "retentionDays": 0,
        "limits": {"maxPromptBytes": 1000, "maxMessageBytes": 2000},
        "stateDir": "/var/lib/cj", "logLevel": "debug", "logFile": "/tmp/cj.log"
    })");
    EXPECT_EQ(config.defaultBackend, "watch");
    ASSERT_EQ(config.backends.size(), 3u);
    // File order, not alphabetical order.
    EXPECT_EQ(config.backends[0].name, "watch");
    EXPECT_EQ(config.backends[1].name, "local");
    EXPECT_EQ(config.backends[2].name, "sandbox");
    EXPECT_EQ(config.backends[0].plugin, "tmux");
    EXPECT_EQ(config.backends[0].settings, nlohmann::json({{"mode", "print"}}));
    EXPECT_FALSE(config.backends[2].settings.contains("plugin"));
    EXPECT_EQ(config.backends[2].settings["memory"], "4g");
    ASSERT_EQ(config.routes.size(), 1u);
    EXPECT_EQ(config.routes[0].workFolder, "/srv/untrusted/**");
    EXPECT_EQ(config.routes[0].backend, "sandbox");
    EXPECT_EQ(config.pluginDirs, std::vector<std::string>{"/opt/cj/plugins"});
    EXPECT_EQ(config.allowedWorkFolders, (std::vector<std::string>{"/srv", "/home/me/src"}));
    EXPECT_EQ(config.claude.path, "/usr/local/bin/claude");
    EXPECT_EQ(config.claude.permissionMode, "acceptEdits");
    EXPECT_EQ(config.claude.extraArgs, (std::vector<std::string>{"--add-dir", "/tmp"}));
    EXPECT_EQ(config.claude.env.at("FOO"), "bar");
    EXPECT_EQ(config.claude.removeEnv, std::vector<std::string>{"ANTHROPIC_API_KEY"});
    EXPECT_EQ(config.maxConcurrentJobs, 8);
    EXPECT_EQ(config.defaultTimeoutSec, 600);
    EXPECT_EQ(config.maxTimeoutSec, 3600);
    EXPECT_EQ(config.maxDepth, 3);
    EXPECT_EQ(config.retentionDays, 0);
    EXPECT_EQ(config.limits.maxPromptBytes, 1000);
    EXPECT_EQ(config.limits.maxMessageBytes, 2000);
    EXPECT_EQ(config.stateDir, "/var/lib/cj");
    EXPECT_EQ(config.logLevel, "debug");
    EXPECT_EQ(config.logFile, "/tmp/cj.log");
    ASSERT_NE(config.find_backend("sandbox"), nullptr);
    EXPECT_EQ(config.find_backend("sandbox")->plugin, "container");
    EXPECT_EQ(config.find_backend("nope"), nullptr);
}

TEST(ConfigTest, UnknownKeysAreErrorsWithTheirPath) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"maxConcurrentJob": 4})", "maxConcurrentJob: unknown key (did you mean \"maxConcurrentJobs\"? known: $schema, "},
        {R"({"claude": {"extraArg": []}})",
         "claude.extraArg: unknown key (did you mean \"extraArgs\"? known: path, permissionMode, "
         "extraArgs, env, "
         "removeEnv)"},
        {R"({"limits": {"maxPrompt": 1}})",
         "limits.maxPrompt: unknown key (known: maxPromptBytes, maxMessageBytes, maxDailyUsd, "
         "maxRunningUsd, maxBudgetUsd, onBudget, queueWhileLimited, resumeAfterLimit, "
         "resumeMarginSec, maxResumes)"},
        {R"({"routes": [{"workFolder": "/a", "backend": "local", "when": 1}]})",
         "routes[0].when: unknown key (known: workFolder, backend, isolation)"},
    };
    for (const auto& [text, expected] : cases) {
        EXPECT_NE(parse_error(text).find(expected), std::string::npos)
            << text << " -> " << parse_error(text);
    }
}

TEST(ConfigTest, WrongTypesNameThePathAndTheExpectedType) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"$schema": 1})", "$schema: expected a string, got an integer"},
        {R"({"defaultBackend": 1})", "defaultBackend: expected a string, got an integer"},
        {R"({"backends": []})", "backends: expected an object of backends, got an array"},
        {R"({"backends": {"local": "local-detached"}})",
         "backends.local: expected an object with \"plugin\", got a string"},
        {R"({"backends": {"local": {"plugin": 3}}})",
         "backends.local.plugin: expected a string, got an integer"},
        {R"({"routes": {}})", "routes: expected an array of routes, got an object"},
        {R"({"routes": ["/a"]})",
         "routes[0]: expected an object with \"workFolder\" and \"backend\", got a string"},
        {R"({"routes": [{"workFolder": 1, "backend": "local"}]})",
         "routes[0].workFolder: expected a string, got an integer"},
        {R"({"routes": [{"workFolder": "/a", "backend": null}]})",
         "routes[0].backend: expected a string, got null"},
        {R"({"pluginDirs": "/a"})", "pluginDirs: expected an array of strings, got a string"},
        {R"({"pluginDirs": ["/a", 2]})", "pluginDirs[1]: expected a string, got an integer"},
        {R"({"allowedWorkFolders": [true]})",
         "allowedWorkFolders[0]: expected a string, got a boolean"},
        {R"({"claude": []})", "claude: expected an object, got an array"},
        {R"({"claude": {"path": 1}})", "claude.path: expected a string, got an integer"},
        {R"({"claude": {"permissionMode": false}})",
         "claude.permissionMode: expected a string, got a boolean"},
        {R"({"claude": {"extraArgs": "--x"}})",
         "claude.extraArgs: expected an array of strings, got a string"},
        {R"({"claude": {"extraArgs": ["--x", 1]}})",
         "claude.extraArgs[1]: expected a string, got an integer"},
        {R"({"claude": {"env": []}})", "claude.env: expected an object of strings, got an array"},
        {R"({"claude": {"env": {"A": 1}}})", "claude.env.A: expected a string, got an integer"},
        {R"({"claude": {"removeEnv": [1]}})",
         "claude.removeEnv[0]: expected a string, got an integer"},
        {R"({"maxConcurrentJobs": "4"})",
         "maxConcurrentJobs: expected an integer from 1 to 1000, got a string"},
        {R"({"maxConcurrentJobs": 4.5})",
         "maxConcurrentJobs: expected an integer from 1 to 1000, got a fractional number"},
        {R"({"defaultTimeoutSec": "1"})",
         "defaultTimeoutSec: expected an integer >= 0, got a string"},
        {R"({"maxTimeoutSec": []})", "maxTimeoutSec: expected an integer >= 0, got an array"},
        {R"({"maxDepth": {}})", "maxDepth: expected an integer >= 1, got an object"},
        {R"({"retentionDays": true})", "retentionDays: expected an integer >= 0, got a boolean"},
        {R"({"limits": 5})", "limits: expected an object, got an integer"},
        {R"({"limits": {"maxPromptBytes": "1"}})",
         "limits.maxPromptBytes: expected an integer >= 1, got a string"},
        {R"({"limits": {"maxMessageBytes": 1.5}})",
         "limits.maxMessageBytes: expected an integer >= 1, got a fractional number"},
        {R"({"stateDir": 7})", "stateDir: expected a string, got an integer"},
        {R"({"logLevel": 3})", "logLevel: expected a string, got an integer"},
        {R"({"logFile": []})", "logFile: expected a string, got an array"},
    };
    for (const auto& [text, expected] : cases) {
        std::string message = parse_error(text);
        EXPECT_NE(message.find(std::string("test.json: ") + expected), std::string::npos)
            << text << " -> " << message;
    }
}

TEST(ConfigTest, ValuesOutOfRangeAreErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"maxConcurrentJobs": 0})",
         "maxConcurrentJobs: expected an integer from 1 to 1000, got 0"},
        {R"({"maxConcurrentJobs": 1001})",
         "maxConcurrentJobs: expected an integer from 1 to 1000, got 1001"},
        {R"({"defaultTimeoutSec": -1})", "defaultTimeoutSec: expected an integer >= 0, got -1"},
        {R"({"maxTimeoutSec": -5})", "maxTimeoutSec: expected an integer >= 0, got -5"},
        {R"({"maxDepth": 0})", "maxDepth: expected an integer >= 1, got 0"},
        {R"({"maxDepth": 99999999999})", "maxDepth: expected an integer >= 1, got 99999999999"},
        {R"({"retentionDays": -1})", "retentionDays: expected an integer >= 0, got -1"},
        {R"({"limits": {"maxPromptBytes": 0}})",
         "limits.maxPromptBytes: expected an integer >= 1, got 0"},
        {R"({"limits": {"maxMessageBytes": -1}})",
         "limits.maxMessageBytes: expected an integer >= 1, got -1"},
        {R"({"defaultTimeoutSec": 18446744073709551615})",
         "defaultTimeoutSec: expected an integer >= 0"},
        {R"({"claude": {"permissionMode": "yolo"}})",
         "claude.permissionMode: \"yolo\" is not one of \"acceptEdits\", \"auto\", "
         "\"bypassPermissions\", \"default\", \"dontAsk\", \"manual\", \"plan\", \"\""},
        {R"({"logLevel": "verbose"})",
         "logLevel: \"verbose\" is not one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", "
         "\"off\""},
        {R"({"claude": {"path": ""}})", "claude.path: must not be empty"},
        {R"({"claude": {"env": {"A=B": "x"}}})",
         "claude.env.A=B: not a valid environment variable name"},
        {R"({"claude": {"removeEnv": ["OK", ""]}})",
         "claude.removeEnv[1]: not a valid environment variable name"},
        {R"({"stateDir": "relative/state"})",
         "stateDir: \"relative/state\" must be an absolute path"},
        {R"({"pluginDirs": ["plugins"]})", "pluginDirs[0]: \"plugins\" must be an absolute path"},
        {R"({"routes": [{"workFolder": "src/**", "backend": "local"}]})",
         "routes[0].workFolder: \"src/**\" must be an absolute path"},
        {R"({"backends": {"bad name": {"plugin": "x"}, "local": {"plugin": "local-detached"}}})",
         "backends.bad name: backend names use letters"},
        {R"({"backends": {"local": {"plugin": ""}}})",
         "backends.local.plugin: must name a backend module"},
        {R"({"backends": {"local": {"mode": "print"}}})", "backends.local: missing \"plugin\""},
        {R"({"routes": [{"backend": "local"}]})", "routes[0]: missing \"workFolder\""},
        {R"({"routes": [{"workFolder": "/a"}]})", "routes[0]: missing \"backend\""},
    };
    for (const auto& [text, expected] : cases) {
        std::string message = parse_error(text);
        EXPECT_NE(message.find(std::string("test.json: ") + expected), std::string::npos)
            << text << " -> " << message;
    }
}

TEST(ConfigTest, EmptyPermissionModeMeansNoFlag) {
    EXPECT_EQ(parse_ok(R"({"claude": {"permissionMode": ""}})").claude.permissionMode, "");
    EXPECT_EQ(parse_ok(R"({"claude": {"permissionMode": "plan"}})").claude.permissionMode, "plan");
}

TEST(ConfigTest, InvalidJsonReportsLineAndColumn) {
    std::string message = parse_error("{\n  \"maxDepth\": 2,\n  \"logLevel\": oops\n}");
    EXPECT_NE(message.find("test.json: not valid JSON"), std::string::npos) << message;
    EXPECT_NE(message.find("line 3, column"), std::string::npos) << message;
    EXPECT_EQ(message.find("[json.exception"), std::string::npos) << message;

    EXPECT_NE(parse_error("").find("not valid JSON"), std::string::npos);
    EXPECT_NE(parse_error("{\"a\": 1,}").find("not valid JSON"), std::string::npos);
}

// A backend's settings are handed on as JSON; nesting them 200,000 deep used to overflow the
// stack while they were copied.
TEST(ConfigTest, DeeplyNestedFileIsAClearError) {
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    std::string message =
        parse_error(R"({"backends": {"local": {"plugin": "local-detached", "x": )" + deep + "}}}");
    EXPECT_NE(message.find("test.json: nested deeper than 128 levels"), std::string::npos)
        << message.substr(0, 300);
    // Broken as well as deep: the syntax error is the one reported.
    message = parse_error(R"({"backends": )" + std::string(200000, '['));
    EXPECT_NE(message.find("test.json: not valid JSON"), std::string::npos)
        << message.substr(0, 300);
}

TEST(ConfigTest, TopLevelMustBeAnObject) {
    EXPECT_NE(parse_error("[]").find("test.json: expected a JSON object at the top level, got an "
                                     "array"),
              std::string::npos);
    EXPECT_NE(parse_error("\"x\"").find("got a string"), std::string::npos);
}

TEST(ConfigTest, BackendsWithoutLocalNeedAnotherDefault) {
    std::string message = parse_error(R"({"backends": {"watch": {"plugin": "tmux"}}})");
    EXPECT_NE(message.find("backends: has no \"local\" backend, but defaultBackend is \"local\""),
              std::string::npos)
        << message;
    Config config =
        parse_ok(R"({"defaultBackend": "watch", "backends": {"watch": {"plugin": "tmux"}}})");
    ASSERT_EQ(config.backends.size(), 1u);
    EXPECT_EQ(config.backends[0].name, "watch");
}

TEST(ConfigTest, DefaultBackendAndRoutesMustNameConfiguredBackends) {
    std::string message = parse_error(R"({"defaultBackend": "fast"})");
    EXPECT_NE(message.find("defaultBackend: \"fast\" is not a configured backend (configured: "
                           "local)"),
              std::string::npos)
        << message;
    message = parse_error(R"({"routes": [{"workFolder": "/a/**", "backend": "local"},
                                         {"workFolder": "/b/**", "backend": "sandbox"}]})");
    EXPECT_NE(message.find("routes[1].backend: \"sandbox\" is not a configured backend"),
              std::string::npos)
        << message;
}

TEST(ConfigTest, DefaultTimeoutMayNotExceedMaxTimeout) {
    std::string message = parse_error(R"({"defaultTimeoutSec": 7200, "maxTimeoutSec": 3600})");
    EXPECT_NE(message.find("defaultTimeoutSec: 7200 exceeds maxTimeoutSec (3600)"),
              std::string::npos)
        << message;
    // The built-in maximum applies when only the default is raised.
    EXPECT_FALSE(cj::config::parse(R"({"defaultTimeoutSec": 100000})", "t", {{"HOME", "/h"}}));
    // Zero on either side means "no limit" and is never in conflict.
    EXPECT_EQ(parse_ok(R"({"defaultTimeoutSec": 100000, "maxTimeoutSec": 0})").defaultTimeoutSec,
              100000);
    EXPECT_EQ(parse_ok(R"({"defaultTimeoutSec": 0, "maxTimeoutSec": 60})").maxTimeoutSec, 60);
    EXPECT_EQ(parse_ok(R"({"defaultTimeoutSec": 60, "maxTimeoutSec": 60})").defaultTimeoutSec, 60);
}

TEST(ConfigTest, TildeIsExpandedInPaths) {
    Config config = parse_ok(R"({
        "stateDir": "~/state/",
        "pluginDirs": ["~/.local/lib/claude-jobs/plugins", "~"],
        "allowedWorkFolders": ["~", "~/src/"],
        "routes": [{"workFolder": "~/untrusted/**", "backend": "local"}],
        "claude": {"path": "~/bin/claude"},
        "logFile": "~/cj.log"
    })",
                             {{"HOME", "/home/me/"}});
    EXPECT_EQ(config.stateDir, "/home/me/state");
    EXPECT_EQ(config.pluginDirs,
              (std::vector<std::string>{"/home/me/.local/lib/claude-jobs/plugins", "/home/me"}));
    EXPECT_EQ(config.allowedWorkFolders, (std::vector<std::string>{"/home/me", "/home/me/src"}));
    EXPECT_EQ(config.routes[0].workFolder, "/home/me/untrusted/**");
    EXPECT_EQ(config.claude.path, "/home/me/bin/claude");
    EXPECT_EQ(config.logFile, "/home/me/cj.log");
}

TEST(ConfigTest, TildeWithoutHomeIsAnError) {
    std::string message =
        parse_error(R"({"stateDir": "/s", "allowedWorkFolders": ["~/src"]})", Environment{});
    EXPECT_NE(message.find("allowedWorkFolders[0]: cannot expand \"~\": HOME is not set"),
              std::string::npos)
        << message;
    // "~user" is not ours to expand and is not absolute.
    EXPECT_NE(parse_error(R"({"stateDir": "~other/state"})").find("must be an absolute path"),
              std::string::npos);
}

TEST(ConfigTest, StateDirLookupOrder) {
    Environment env = {{"HOME", "/home/me"},
                       {"XDG_STATE_HOME", "/xdg/state"},
                       {"CLAUDE_ASYNC_JOB_DIR", "/compat/jobs"}};
    EXPECT_EQ(parse_ok(R"({"stateDir": "/explicit"})", env).stateDir, "/explicit");
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/compat/jobs");
    env.erase("CLAUDE_ASYNC_JOB_DIR");
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/xdg/state/claude-jobs");
    // The XDG spec: a relative value is invalid and ignored.
    env["XDG_STATE_HOME"] = "relative";
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/home/me/.local/state/claude-jobs");
    env.erase("XDG_STATE_HOME");
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/home/me/.local/state/claude-jobs");
    // Empty variables count as unset.
    env["CLAUDE_ASYNC_JOB_DIR"] = "";
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/home/me/.local/state/claude-jobs");
    env["CLAUDE_ASYNC_JOB_DIR"] = "~/jobs";
    EXPECT_EQ(parse_ok("{}", env).stateDir, "/home/me/jobs");
}

TEST(ConfigTest, RelativeCompatJobDirIsMadeAbsolute) {
    Config config = parse_ok("{}", {{"CLAUDE_ASYNC_JOB_DIR", "jobs"}});
    EXPECT_EQ(config.stateDir, (fs::current_path() / "jobs").lexically_normal().string());
}

TEST(ConfigTest, NoWayToChooseAStateDirIsAnError) {
    std::string message = parse_error("{}", Environment{});
    EXPECT_NE(message.find("cannot choose a state directory"), std::string::npos) << message;
    EXPECT_EQ(parse_ok(R"({"stateDir": "/s"})", Environment{}).stateDir, "/s");
}

TEST(ConfigTest, CompatibilityVariables) {
    Environment env = {{"HOME", "/home/me"},
                       {"CLAUDE_CLI_PATH", "/opt/claude/bin/claude"},
                       {"CLAUDE_ASYNC_DEFAULT_CWD", "~/work"}};
    Config config = parse_ok("{}", env);
    EXPECT_EQ(config.claude.path, "/opt/claude/bin/claude");
    EXPECT_EQ(config.defaultWorkFolder, "/home/me/work");
    // The file wins over the variable.
    EXPECT_EQ(parse_ok(R"({"claude": {"path": "/usr/bin/claude"}})", env).claude.path,
              "/usr/bin/claude");
    // The variable still applies when the file sets other claude keys.
    EXPECT_EQ(parse_ok(R"({"claude": {"extraArgs": []}})", env).claude.path,
              "/opt/claude/bin/claude");
}

TEST(ConfigTest, LoadFollowsTheLookupOrder) {
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    std::string home = dir.path() + "/home";
    std::string xdg = dir.path() + "/xdg";
    std::string homeFile = dir.write("home/.config/claude-jobs/config.json", R"({"maxDepth": 11})");
    std::string xdgFile = dir.write("xdg/claude-jobs/config.json", R"({"maxDepth": 12})");
    std::string envFile = dir.write("env.json", R"({"maxDepth": 13})");
    std::string cliFile = dir.write("cli.json", R"({"maxDepth": 14})");

    Environment env = {{"HOME", home}, {"XDG_CONFIG_HOME", xdg}, {"CLAUDE_JOBS_CONFIG", envFile}};
    auto loaded = cj::config::load(cliFile, env);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->maxDepth, 14);
    EXPECT_EQ(loaded->sourcePath, cliFile);

    loaded = cj::config::load(std::nullopt, env);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->maxDepth, 13);
    EXPECT_EQ(loaded->sourcePath, envFile);

    env.erase("CLAUDE_JOBS_CONFIG");
    loaded = cj::config::load(std::nullopt, env);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->maxDepth, 12);
    EXPECT_EQ(loaded->sourcePath, xdgFile);

    // An XDG folder without the file falls through to ~/.config.
    env["XDG_CONFIG_HOME"] = dir.path() + "/elsewhere";
    loaded = cj::config::load(std::nullopt, env);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->maxDepth, 11);
    EXPECT_EQ(loaded->sourcePath, homeFile);
    EXPECT_EQ(loaded->stateDir, home + "/.local/state/claude-jobs");

    // Nothing found: built-in defaults.
    fs::remove(homeFile);
    loaded = cj::config::load(std::nullopt, env);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->maxDepth, 2);
    EXPECT_EQ(loaded->sourcePath, "");
    ASSERT_EQ(loaded->backends.size(), 1u);
    EXPECT_EQ(loaded->backends[0].plugin, "local-detached");
}

TEST(ConfigTest, NamedFilesMustExist) {
    TempDir dir;
    Environment env = {{"HOME", dir.path()}};
    std::string missing = dir.path() + "/missing.json";
    auto loaded = cj::config::load(missing, env);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find(missing + ": config file not found (named by --config)"),
              std::string::npos)
        << loaded.error().message;

    env["CLAUDE_JOBS_CONFIG"] = missing;
    loaded = cj::config::load(std::nullopt, env);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("named by $CLAUDE_JOBS_CONFIG"), std::string::npos)
        << loaded.error().message;

    // A folder where the file should be is an error, not a silent fallback to defaults.
    fs::create_directories(dir.path() + "/.config/claude-jobs/config.json");
    env.erase("CLAUDE_JOBS_CONFIG");
    loaded = cj::config::load(std::nullopt, env);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("not a regular file"), std::string::npos)
        << loaded.error().message;
}

TEST(ConfigTest, ErrorsFromAFileNameTheFile) {
    TempDir dir;
    std::string file = dir.write("config.json", R"({"claude": {"extraArg": ["--x"]}})");
    auto loaded = cj::config::load(file, {{"HOME", dir.path()}});
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().code, claude_jobs::ErrorCode::InvalidArgument);
    EXPECT_EQ(loaded.error().message.rfind(file + ": claude.extraArg: unknown key", 0), 0u)
        << loaded.error().message;
}

TEST(ConfigTest, CurrentEnvironmentReadsTheProcessEnvironment) {
    ::setenv("CJ_CONFIG_TEST_VARIABLE", "a=b", 1);
    Environment env = cj::config::current_environment();
    ::unsetenv("CJ_CONFIG_TEST_VARIABLE");
    ASSERT_TRUE(env.count("CJ_CONFIG_TEST_VARIABLE"));
    EXPECT_EQ(env.at("CJ_CONFIG_TEST_VARIABLE"), "a=b");
}

TEST(ConfigTest, GlobMatching) {
    using cj::config::glob_match;
    EXPECT_TRUE(glob_match("/home/me/untrusted/**", "/home/me/untrusted"));
    EXPECT_TRUE(glob_match("/home/me/untrusted/**", "/home/me/untrusted/a"));
    EXPECT_TRUE(glob_match("/home/me/untrusted/**", "/home/me/untrusted/a/b/c"));
    EXPECT_FALSE(glob_match("/home/me/untrusted/**", "/home/me/untrusted2"));
    EXPECT_FALSE(glob_match("/home/me/untrusted/**", "/home/me/untrusted2/a"));
    EXPECT_FALSE(glob_match("/home/me/untrusted/**", "/home/me"));

    EXPECT_TRUE(glob_match("/home/*/src", "/home/me/src"));
    EXPECT_FALSE(glob_match("/home/*/src", "/home/me/x/src"));
    EXPECT_TRUE(glob_match("/home/me/proj-*", "/home/me/proj-a"));
    EXPECT_FALSE(glob_match("/home/me/proj-*", "/home/me/proj-a/sub"));
    EXPECT_TRUE(glob_match("/srv/?", "/srv/a"));
    EXPECT_FALSE(glob_match("/srv/?", "/srv/ab"));
    EXPECT_FALSE(glob_match("/srv?a", "/srv/a"));

    EXPECT_TRUE(glob_match("/a/**/b", "/a/b"));
    EXPECT_TRUE(glob_match("/a/**/b", "/a/x/y/b"));
    EXPECT_FALSE(glob_match("/a/**/b", "/a/x/y/bc"));
    EXPECT_TRUE(glob_match("**", "/anything/at/all"));
    EXPECT_TRUE(glob_match("/exact", "/exact"));
    EXPECT_FALSE(glob_match("/exact", "/exact/below"));
    EXPECT_FALSE(glob_match("/exact", "/exac"));
}

TEST(ConfigTest, ChooseBackendPrecedence) {
    Config config = parse_ok(R"({
        "defaultBackend": "local",
        "backends": {"local": {"plugin": "local-detached"},
                     "sandbox": {"plugin": "container"},
                     "watch": {"plugin": "tmux"}},
        "routes": [{"workFolder": "/home/me/untrusted/**", "backend": "sandbox"},
                   {"workFolder": "/home/me/**", "backend": "watch"}]
    })");
    using cj::config::choose_backend;
    // The request wins over everything.
    EXPECT_EQ(choose_backend(config, "local", "/home/me/untrusted/x"), "local");
    // Else the first matching route, in file order.
    EXPECT_EQ(choose_backend(config, "", "/home/me/untrusted/x"), "sandbox");
    EXPECT_EQ(choose_backend(config, "", "/home/me/untrusted"), "sandbox");
    EXPECT_EQ(choose_backend(config, "", "/home/me/untrusted2"), "watch");
    // Else the default.
    EXPECT_EQ(choose_backend(config, "", "/srv/x"), "local");
    EXPECT_EQ(choose_backend(config, "", ""), "local");
    // Unknown names are passed through for the caller to refuse.
    EXPECT_EQ(choose_backend(config, "nope", "/srv"), "nope");
}

}  // namespace

TEST(ConfigTest, MoneyAndUsageLimits) {
    auto c = cj::config::parse(
        R"({"limits": {"maxDailyUsd": 20, "maxRunningUsd": 5.5, "maxBudgetUsd": 2,
            "onBudget": "queue", "queueWhileLimited": false, "resumeAfterLimit": true,
            "resumeMarginSec": 5, "maxResumes": 1}})",
        "test", {{"HOME", "/tmp"}, {"CLAUDE_ASYNC_JOB_DIR", "/tmp/cj-config-test"}});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_DOUBLE_EQ(*c->limits.maxDailyUsd, 20);
    EXPECT_DOUBLE_EQ(*c->limits.maxRunningUsd, 5.5);
    EXPECT_DOUBLE_EQ(*c->limits.maxBudgetUsd, 2);
    EXPECT_EQ(c->limits.onBudget, "queue");
    EXPECT_FALSE(c->limits.queueWhileLimited);
    EXPECT_TRUE(c->limits.resumeAfterLimit);
    EXPECT_EQ(c->limits.resumeMarginSec, 5);
    EXPECT_EQ(c->limits.maxResumes, 1);
    EXPECT_NE(parse_error(R"({"limits": {"maxDailyUsd": 0}})").find("limits.maxDailyUsd: expected an amount"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"limits": {"onBudget": "wait"}})").find("limits.onBudget"),
              std::string::npos);
}

TEST(ConfigTest, ProtocolDiscoverSwitch) {
    EXPECT_TRUE(parse_ok(R"({"stateDir": "/s"})").protocol.discover) << "on by default";
    EXPECT_FALSE(parse_ok(R"({"stateDir": "/s", "protocol": {"discover": false}})").protocol.discover);
    EXPECT_NE(parse_error(R"({"stateDir": "/s", "protocol": {"discover": "no"}})").find("protocol.discover"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"stateDir": "/s", "protocol": {"discovr": true}})").find("unknown key"),
              std::string::npos);
    // The environment wins over the file, both ways; anything but 0 or 1 is refused.
    Environment off = {{"HOME", "/home/me"}, {"CLAUDE_JOBS_DISCOVER", "0"}};
    EXPECT_FALSE(parse_ok(R"({"stateDir": "/s", "protocol": {"discover": true}})", off).protocol.discover);
    Environment on = {{"HOME", "/home/me"}, {"CLAUDE_JOBS_DISCOVER", "1"}};
    EXPECT_TRUE(parse_ok(R"({"stateDir": "/s", "protocol": {"discover": false}})", on).protocol.discover);
    Environment bad = {{"HOME", "/home/me"}, {"CLAUDE_JOBS_DISCOVER", "maybe"}};
    EXPECT_NE(parse_error(R"({"stateDir": "/s"})", bad).find("CLAUDE_JOBS_DISCOVER"), std::string::npos);
}

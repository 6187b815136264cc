// Finding, parsing and checking the server's config file (SPEC §7), and choosing a job's
// backend from it. Every problem is reported with the file and the JSON path of the key, because
// a config that is silently half-applied is worse than one that is refused.
#include "core/config/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>

#include "core/util/json_input.h"
#include "core/util/similar.h"

extern char** environ;

namespace cj::config {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
namespace fs = std::filesystem;

// Parsed as ordered JSON so that backends keep the order the user wrote them in.
using Json = nlohmann::ordered_json;

// A config file is a few kilobytes; anything this large is a mistake, not a config.
constexpr std::uintmax_t kMaxConfigBytes = 4u << 20;

constexpr int kMaxConcurrentJobsLimit = 1000;

const char* const kPermissionModes[] = {"acceptEdits", "auto", "bypassPermissions", "default",
                                        "dontAsk",     "manual", "plan", ""};
const char* const kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
const char* const kIsolationModes[] = {"none", "worktree", "copy"};

std::string get_env(const Environment& env, const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
}

bool is_absolute(const std::string& path) {
    return !path.empty() && path.front() == '/';
}

// The user's home, only when it is usable as a prefix.
std::string home_dir(const Environment& env) {
    std::string home = get_env(env, "HOME");
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    return is_absolute(home) ? home : std::string();
}

// "~" and "~/x" are the user's home; "~other/x" is left as written, because looking up other
// users would make the result depend on more than the environment we were handed.
bool expand_home(const std::string& path, const Environment& env, std::string& out,
                 std::string& why) {
    if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) {
        out = path;
        return true;
    }
    std::string home = home_dir(env);
    if (home.empty()) {
        why = "cannot expand \"~\": HOME is not set to an absolute path";
        return false;
    }
    out = home == "/" ? path.substr(1) : home + path.substr(1);
    if (out.empty()) out = "/";
    return true;
}

// Trailing slashes would make "/a/" and "/a" different folders to every prefix comparison.
std::string normalize_dir(const std::string& path) {
    std::string normal = fs::path(path).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
}

std::string describe(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::boolean:
            return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "an integer";
        case Json::value_t::number_float:
            return "a fractional number";
        case Json::value_t::string:
            return "a string";
        case Json::value_t::array:
            return "an array";
        case Json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

std::string join_key(const std::string& base, const std::string& key) {
    return base.empty() ? key : base + "." + key;
}

std::string join_index(const std::string& base, std::size_t index) {
    return base + "[" + std::to_string(index) + "]";
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

// Backend names appear in tool arguments, logs and (for some backends) session names, so they
// are held to the same alphabet as job ids.
bool valid_backend_name(const std::string& name) {
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
    return std::all_of(name.begin(), name.end(),
                       [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool valid_env_name(const std::string& name) {
    return !name.empty() && name.find('=') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

// Walks the parsed document into a Config. Each read_* returns false after recording the first
// problem as "path: message"; the walk stops there.
class Reader {
  public:
    explicit Reader(const Environment& env) : env_(env) {}

    const std::string& issue() const { return issue_; }

    // Whether the file set claude.path, which then wins over $CLAUDE_CLI_PATH.
    bool claude_path_set() const { return claudePathSet_; }

    bool read(const Json& root, Config& config) {
        if (!root.is_object()) {
            return fail("", "expected a JSON object at the top level, got " + describe(root));
        }
        bool backendsGiven = false;
        for (const auto& [key, value] : root.items()) {
            bool ok = true;
            if (key == "$schema") {
                std::string ignored;
                ok = read_string(value, key, ignored);
            } else if (key == "defaultBackend") {
                ok = read_string(value, key, config.defaultBackend);
            } else if (key == "backends") {
                backendsGiven = true;
                ok = read_backends(value, key, config.backends);
            } else if (key == "routes") {
                ok = read_routes(value, key, config.routes);
            } else if (key == "pluginDirs") {
                ok = read_dir_list(value, key, config.pluginDirs);
            } else if (key == "allowedWorkFolders") {
                ok = read_dir_list(value, key, config.allowedWorkFolders);
            } else if (key == "claude") {
                ok = read_claude(value, key, config.claude);
            } else if (key == "maxConcurrentJobs") {
                ok = read_int(value, key, 1, kMaxConcurrentJobsLimit, config.maxConcurrentJobs);
            } else if (key == "defaultTimeoutSec") {
                ok = read_int(value, key, 0, INT64_MAX, config.defaultTimeoutSec);
            } else if (key == "maxTimeoutSec") {
                ok = read_int(value, key, 0, INT64_MAX, config.maxTimeoutSec);
            } else if (key == "maxDepth") {
                ok = read_int(value, key, 1, INT32_MAX, config.maxDepth);
            } else if (key == "retentionDays") {
                ok = read_int(value, key, 0, INT32_MAX, config.retentionDays);
            } else if (key == "isolation") {
                ok = read_isolation(value, key, config.isolation);
            } else if (key == "limits") {
                ok = read_limits(value, key, config.limits);
            } else if (key == "notify") {
                ok = read_notify(value, key, config.notify);
            } else if (key == "protocol") {
                ok = read_protocol(value, key, config.protocol);
            } else if (key == "stateDir") {
                ok = read_dir(value, key, config.stateDir);
            } else if (key == "logLevel") {
                ok = read_choice(value, key, kLogLevels, config.logLevel);
            } else if (key == "logFile") {
                ok = read_file_path(value, key, config.logFile);
            } else {
                ok = unknown_key(key, "", kTopLevelKeys);
            }
            if (!ok) return false;
        }
        if (!backendsGiven) config.backends = {BackendConfig{"local", "local-detached", {}, ""}};
        return check_references(config, backendsGiven);
    }

  private:
    static constexpr std::initializer_list<const char*> kTopLevelKeys = {
        "$schema",       "defaultBackend",    "backends",
        "routes",        "pluginDirs",        "allowedWorkFolders",
        "claude",        "maxConcurrentJobs", "defaultTimeoutSec",
        "maxTimeoutSec", "maxDepth",          "retentionDays",
        "limits",        "stateDir",          "logLevel",
        "logFile",       "isolation",     "notify",
        "protocol"};
    static constexpr std::initializer_list<const char*> kIsolationKeys = {"mode", "keepDays"};
    static constexpr std::initializer_list<const char*> kNotifyKeys = {"channel"};
    static constexpr std::initializer_list<const char*> kProtocolKeys = {"discover"};
    static constexpr std::initializer_list<const char*> kClaudeKeys = {
        "path", "permissionMode", "extraArgs", "env", "removeEnv"};
    static constexpr std::initializer_list<const char*> kLimitsKeys = {
        "maxPromptBytes", "maxMessageBytes",   "maxDailyUsd",      "maxRunningUsd",
        "maxBudgetUsd",   "onBudget",          "queueWhileLimited", "resumeAfterLimit",
        "resumeMarginSec", "maxResumes"};
    static constexpr const char* kOnBudget[] = {"refuse", "queue"};
    static constexpr std::initializer_list<const char*> kRouteKeys = {"workFolder", "backend",
                                                                      "isolation"};

    bool fail(const std::string& path, const std::string& message) {
        issue_ = path.empty() ? message : path + ": " + message;
        return false;
    }

    bool unknown_key(const std::string& key, const std::string& base,
                     std::initializer_list<const char*> known) {
        std::string list;
        std::vector<std::string> names;
        for (const char* name : known) {
            list += (list.empty() ? "" : ", ") + std::string(name);
            names.emplace_back(name);
        }
        std::string close = util::did_you_mean(key, names);
        return fail(join_key(base, key),
                    "unknown key" + (close.empty() ? " (known: " + list + ")"
                                                   : close.substr(0, close.size() - 1) +
                                                         " known: " + list + ")"));
    }

    bool expect(const Json& value, bool ok, const std::string& path, const char* what) {
        return ok || fail(path, std::string("expected ") + what + ", got " + describe(value));
    }

    bool read_usd(const Json& value, const std::string& path, std::optional<double>& out) {
        if (!expect(value, value.is_number() && value.get<double>() > 0 &&
                               value.get<double>() <= 1e6,
                    path, "an amount of US dollars above 0, at most 1000000"))
            return false;
        out = value.get<double>();
        return true;
    }

    bool read_bool(const Json& value, const std::string& path, bool& out) {
        if (!expect(value, value.is_boolean(), path, "true or false")) return false;
        out = value.get<bool>();
        return true;
    }

    bool read_string(const Json& value, const std::string& path, std::string& out) {
        if (!expect(value, value.is_string(), path, "a string")) return false;
        out = value.get<std::string>();
        return true;
    }

    template <class Int>
    bool read_int(const Json& value, const std::string& path, std::int64_t lo, std::int64_t hi,
                  Int& out) {
        std::string range =
            hi == INT64_MAX || hi == INT32_MAX
                ? "an integer >= " + std::to_string(lo)
                : "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        if (!expect(value, value.is_number_integer(), path, range.c_str())) return false;
        // Non-negative numbers arrive as unsigned and may not fit an int64.
        bool inRange = value.is_number_unsigned()
                           ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) &&
                                 static_cast<std::int64_t>(value.get<std::uint64_t>()) >= lo
                           : value.get<std::int64_t>() >= lo && value.get<std::int64_t>() <= hi;
        if (!inRange) return fail(path, "expected " + range + ", got " + value.dump());
        out = static_cast<Int>(value.get<std::int64_t>());
        return true;
    }

    template <std::size_t N>
    bool read_choice(const Json& value, const std::string& path, const char* const (&choices)[N],
                     std::string& out) {
        std::string text;
        if (!read_string(value, path, text)) return false;
        std::string list;
        for (const char* choice : choices) {
            if (text == choice) {
                out = text;
                return true;
            }
            list += (list.empty() ? "\"" : ", \"") + std::string(choice) + "\"";
        }
        return fail(path, "\"" + text + "\" is not one of " + list);
    }

    bool read_string_array(const Json& value, const std::string& path,
                           std::vector<std::string>& out) {
        if (!expect(value, value.is_array(), path, "an array of strings")) return false;
        std::vector<std::string> items;
        for (std::size_t i = 0; i < value.size(); ++i) {
            std::string item;
            if (!read_string(value[i], join_index(path, i), item)) return false;
            items.push_back(std::move(item));
        }
        out = std::move(items);
        return true;
    }

    // A path a person may start with "~"; relative paths are refused, because the server's
    // working directory is whatever its client happened to start it in.
    bool read_absolute(const Json& value, const std::string& path, std::string& out) {
        std::string text, expanded, why;
        if (!read_string(value, path, text)) return false;
        if (!expand_home(text, env_, expanded, why)) return fail(path, why);
        if (!is_absolute(expanded)) {
            return fail(path, "\"" + text + "\" must be an absolute path (or start with ~/)");
        }
        out = expanded;
        return true;
    }

    bool read_dir(const Json& value, const std::string& path, std::string& out) {
        if (!read_absolute(value, path, out)) return false;
        out = normalize_dir(out);
        return true;
    }

    bool read_file_path(const Json& value, const std::string& path, std::string& out) {
        std::string text, why;
        if (!read_string(value, path, text)) return false;
        if (!expand_home(text, env_, out, why)) return fail(path, why);
        return true;
    }

    bool read_dir_list(const Json& value, const std::string& path, std::vector<std::string>& out) {
        if (!expect(value, value.is_array(), path, "an array of strings")) return false;
        std::vector<std::string> dirs;
        for (std::size_t i = 0; i < value.size(); ++i) {
            std::string dir;
            if (!read_dir(value[i], join_index(path, i), dir)) return false;
            dirs.push_back(std::move(dir));
        }
        out = std::move(dirs);
        return true;
    }

    bool read_backends(const Json& value, const std::string& path,
                       std::vector<BackendConfig>& out) {
        if (!expect(value, value.is_object(), path, "an object of backends")) return false;
        std::vector<BackendConfig> backends;
        for (const auto& [name, body] : value.items()) {
            std::string here = join_key(path, name);
            if (!valid_backend_name(name)) {
                return fail(here,
                            "backend names use letters, digits, '.', '_' and '-' (up to 64, "
                            "starting with a letter or digit)");
            }
            if (!expect(body, body.is_object(), here, "an object with \"plugin\"")) return false;
            if (!body.contains("plugin")) return fail(here, "missing \"plugin\"");
            BackendConfig backend{name, "", nlohmann::json::object(), ""};
            if (!read_string(body["plugin"], join_key(here, "plugin"), backend.plugin)) {
                return false;
            }
            if (backend.plugin.empty()) {
                return fail(join_key(here, "plugin"), "must name a backend module");
            }
            if (body.contains("isolation") &&
                !read_choice(body["isolation"], join_key(here, "isolation"), kIsolationModes,
                             backend.isolation))
                return false;
            // The remaining keys belong to the module, which checks them in configure().
            for (const auto& [key, setting] : body.items()) {
                if (key != "plugin" && key != "isolation")
                    backend.settings[key] = nlohmann::json(setting);
            }
            backends.push_back(std::move(backend));
        }
        out = std::move(backends);
        return true;
    }

    bool read_isolation(const Json& value, const std::string& path, IsolationConfig& out) {
        if (!expect(value, value.is_object(), path, "an object with \"mode\" and \"keepDays\""))
            return false;
        for (const auto& [key, item] : value.items()) {
            bool ok = true;
            if (key == "mode") {
                ok = read_choice(item, join_key(path, key), kIsolationModes, out.mode);
            } else if (key == "keepDays") {
                ok = read_int(item, join_key(path, key), 0, 36500, out.keepDays);
            } else {
                ok = unknown_key(key, path, kIsolationKeys);
            }
            if (!ok) return false;
        }
        return true;
    }

    bool read_routes(const Json& value, const std::string& path, std::vector<Route>& out) {
        if (!expect(value, value.is_array(), path, "an array of routes")) return false;
        std::vector<Route> routes;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const Json& body = value[i];
            std::string here = join_index(path, i);
            if (!expect(body, body.is_object(), here,
                        "an object with \"workFolder\" and \"backend\"")) {
                return false;
            }
            Route route;
            for (const auto& [key, item] : body.items()) {
                bool ok = true;
                if (key == "workFolder") {
                    ok = read_absolute(item, join_key(here, key), route.workFolder);
                } else if (key == "backend") {
                    ok = read_string(item, join_key(here, key), route.backend);
                } else if (key == "isolation") {
                    ok = read_choice(item, join_key(here, key), kIsolationModes, route.isolation);
                } else {
                    ok = unknown_key(key, here, kRouteKeys);
                }
                if (!ok) return false;
            }
            if (!body.contains("workFolder")) return fail(here, "missing \"workFolder\"");
            if (!body.contains("backend")) return fail(here, "missing \"backend\"");
            routes.push_back(std::move(route));
        }
        out = std::move(routes);
        return true;
    }

    bool read_env_map(const Json& value, const std::string& path,
                      std::map<std::string, std::string>& out) {
        if (!expect(value, value.is_object(), path, "an object of strings")) return false;
        std::map<std::string, std::string> vars;
        for (const auto& [name, item] : value.items()) {
            std::string here = join_key(path, name);
            if (!valid_env_name(name)) return fail(here, "not a valid environment variable name");
            if (!read_string(item, here, vars[name])) return false;
        }
        out = std::move(vars);
        return true;
    }

    bool read_claude(const Json& value, const std::string& path, ClaudeConfig& out) {
        if (!expect(value, value.is_object(), path, "an object")) return false;
        for (const auto& [key, item] : value.items()) {
            std::string here = join_key(path, key);
            bool ok = true;
            if (key == "path") {
                claudePathSet_ = true;
                ok = read_file_path(item, here, out.path);
                if (ok && out.path.empty()) ok = fail(here, "must not be empty");
            } else if (key == "permissionMode") {
                ok = read_choice(item, here, kPermissionModes, out.permissionMode);
            } else if (key == "extraArgs") {
                ok = read_string_array(item, here, out.extraArgs);
            } else if (key == "env") {
                ok = read_env_map(item, here, out.env);
            } else if (key == "removeEnv") {
                ok = read_string_array(item, here, out.removeEnv);
                for (std::size_t i = 0; ok && i < out.removeEnv.size(); ++i) {
                    if (!valid_env_name(out.removeEnv[i])) {
                        ok = fail(join_index(here, i), "not a valid environment variable name");
                    }
                }
            } else {
                ok = unknown_key(key, path, kClaudeKeys);
            }
            if (!ok) return false;
        }
        return true;
    }

    bool read_limits(const Json& value, const std::string& path, Limits& out) {
        if (!expect(value, value.is_object(), path, "an object")) return false;
        for (const auto& [key, item] : value.items()) {
            std::string here = join_key(path, key);
            bool ok = true;
            if (key == "maxPromptBytes") {
                ok = read_int(item, here, 1, INT64_MAX, out.maxPromptBytes);
            } else if (key == "maxMessageBytes") {
                ok = read_int(item, here, 1, INT64_MAX, out.maxMessageBytes);
            } else if (key == "maxDailyUsd") {
                ok = read_usd(item, here, out.maxDailyUsd);
            } else if (key == "maxRunningUsd") {
                ok = read_usd(item, here, out.maxRunningUsd);
            } else if (key == "maxBudgetUsd") {
                ok = read_usd(item, here, out.maxBudgetUsd);
            } else if (key == "onBudget") {
                ok = read_choice(item, here, kOnBudget, out.onBudget);
            } else if (key == "queueWhileLimited") {
                ok = read_bool(item, here, out.queueWhileLimited);
            } else if (key == "resumeAfterLimit") {
                ok = read_bool(item, here, out.resumeAfterLimit);
            } else if (key == "resumeMarginSec") {
                ok = read_int(item, here, 0, 86400, out.resumeMarginSec);
            } else if (key == "maxResumes") {
                ok = read_int(item, here, 0, 100, out.maxResumes);
            } else {
                ok = unknown_key(key, path, kLimitsKeys);
            }
            if (!ok) return false;
        }
        return true;
    }

    bool read_notify(const Json& value, const std::string& path, NotifyConfig& out) {
        if (!expect(value, value.is_object(), path, "an object")) return false;
        for (const auto& [key, item] : value.items()) {
            std::string here = join_key(path, key);
            if (key != "channel") return unknown_key(key, path, kNotifyKeys);
            if (!expect(item, item.is_boolean(), here, "true or false")) return false;
            out.channel = item.get<bool>();
        }
        return true;
    }

    bool read_protocol(const Json& value, const std::string& path, ProtocolConfig& out) {
        if (!expect(value, value.is_object(), path, "an object")) return false;
        for (const auto& [key, item] : value.items()) {
            std::string here = join_key(path, key);
            if (key != "discover") return unknown_key(key, path, kProtocolKeys);
            if (!expect(item, item.is_boolean(), here, "true or false")) return false;
            out.discover = item.get<bool>();
        }
        return true;
    }

    bool check_references(const Config& config, bool backendsGiven) {
        std::vector<std::string> names;
        for (const auto& backend : config.backends) names.push_back(backend.name);
        std::string configured =
            names.empty() ? "none are configured" : "configured: " + join_names(names);
        if (!config.find_backend(config.defaultBackend)) {
            if (backendsGiven && config.defaultBackend == "local") {
                return fail("backends",
                            "has no \"local\" backend, but defaultBackend is \"local\" (add "
                            "\"local\": {\"plugin\": \"local-detached\"} or set defaultBackend)");
            }
            return fail("defaultBackend", "\"" + config.defaultBackend +
                                              "\" is not a configured backend (" + configured +
                                              ")");
        }
        for (std::size_t i = 0; i < config.routes.size(); ++i) {
            const auto& route = config.routes[i];
            if (!config.find_backend(route.backend)) {
                return fail(
                    join_key(join_index("routes", i), "backend"),
                    "\"" + route.backend + "\" is not a configured backend (" + configured + ")");
            }
        }
        if (config.defaultTimeoutSec != 0 && config.maxTimeoutSec != 0 &&
            config.defaultTimeoutSec > config.maxTimeoutSec) {
            return fail("defaultTimeoutSec", std::to_string(config.defaultTimeoutSec) +
                                                 " exceeds maxTimeoutSec (" +
                                                 std::to_string(config.maxTimeoutSec) + ")");
        }
        return true;
    }

    const Environment& env_;
    std::string issue_;
    bool claudePathSet_ = false;
};

// SPEC §3.4: config stateDir, else $CLAUDE_ASYNC_JOB_DIR, else $XDG_STATE_HOME/claude-jobs,
// else ~/.local/state/claude-jobs.
bool resolve_state_dir(Config& config, const Environment& env, std::string& why) {
    if (!config.stateDir.empty()) return true;
    std::string compat = get_env(env, "CLAUDE_ASYNC_JOB_DIR");
    if (!compat.empty()) {
        std::string expanded;
        if (!expand_home(compat, env, expanded, why)) {
            why = "$CLAUDE_ASYNC_JOB_DIR: " + why;
            return false;
        }
        // The variable predates this server and was commonly given relative to where the
        // server starts; honour that rather than refuse it.
        std::error_code ec;
        fs::path absolute = fs::absolute(expanded, ec);
        if (ec) {
            why = "$CLAUDE_ASYNC_JOB_DIR: cannot make \"" + compat + "\" absolute: " + ec.message();
            return false;
        }
        config.stateDir = normalize_dir(absolute.string());
        return true;
    }
    // The XDG spec says relative values are invalid and must be ignored.
    std::string xdg = get_env(env, "XDG_STATE_HOME");
    if (is_absolute(xdg)) {
        config.stateDir = normalize_dir(xdg + "/claude-jobs");
        return true;
    }
    std::string home = home_dir(env);
    if (!home.empty()) {
        config.stateDir = normalize_dir(home + "/.local/state/claude-jobs");
        return true;
    }
    why =
        "cannot choose a state directory: set \"stateDir\" in the config, or "
        "$CLAUDE_ASYNC_JOB_DIR, $XDG_STATE_HOME or $HOME";
    return false;
}

// Values from the environment that stand in for keys the file did not set.
bool apply_environment(Config& config, bool pathFromFile, const Environment& env,
                       std::string& why) {
    std::string cliPath = get_env(env, "CLAUDE_CLI_PATH");
    if (!pathFromFile && !cliPath.empty()) {
        if (!expand_home(cliPath, env, config.claude.path, why)) {
            why = "$CLAUDE_CLI_PATH: " + why;
            return false;
        }
    }
    // The way back for a user whose client misbehaves in the 2026-07-28 era.
    if (auto it = env.find("CLAUDE_JOBS_DISCOVER"); it != env.end() && !it->second.empty()) {
        if (it->second == "0") {
            config.protocol.discover = false;
        } else if (it->second == "1") {
            config.protocol.discover = true;
        } else {
            why = "$CLAUDE_JOBS_DISCOVER: must be 0 (no server/discover) or 1, not \"" +
                  it->second.substr(0, 40) + "\"";
            return false;
        }
    }
    std::string cwd = get_env(env, "CLAUDE_ASYNC_DEFAULT_CWD");
    if (!cwd.empty()) {
        if (!expand_home(cwd, env, config.defaultWorkFolder, why)) {
            why = "$CLAUDE_ASYNC_DEFAULT_CWD: " + why;
            return false;
        }
    }
    return resolve_state_dir(config, env, why);
}

claude_jobs::Error config_error(const std::string& origin, const std::string& message) {
    return make_error(ErrorCode::InvalidArgument,
                      origin.empty() ? message : origin + ": " + message);
}

enum class FileState { Missing, Present, Broken };

FileState probe(const std::string& path, std::string& why) {
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
            return FileState::Missing;
        }
        why = ec.message();
        return FileState::Broken;
    }
    if (!fs::is_regular_file(status)) {
        why = "not a regular file";
        return FileState::Broken;
    }
    return FileState::Present;
}

Result<std::string> read_file(const std::string& path) {
    std::error_code ec;
    std::uintmax_t size = fs::file_size(path, ec);
    if (ec) return config_error(path, "cannot read: " + ec.message());
    if (size > kMaxConfigBytes) {
        return config_error(path,
                            "too large for a config file (" + std::to_string(size) + " bytes)");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return config_error(path, "cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return config_error(path, "read failed");
    return text.str();
}

Result<Config> load_file(const std::string& path, const Environment& env) {
    auto text = read_file(path);
    if (!text) return text.error();
    auto config = parse(*text, path, env);
    if (config) config->sourcePath = path;
    return config;
}

// Matches pattern[pi..] against path[si..]; memo holds 0 unknown, 1 no, 2 yes.
bool glob_at(const std::string& p, std::size_t pi, const std::string& s, std::size_t si,
             std::vector<char>& memo) {
    char& seen = memo[pi * (s.size() + 1) + si];
    if (seen) return seen == 2;
    bool result = false;
    if (pi == p.size()) {
        result = si == s.size();
    } else if (p[pi] == '/' && p.compare(pi + 1, 2, "**") == 0 &&
               (pi + 3 == p.size() || p[pi + 3] == '/') && glob_at(p, pi + 3, s, si, memo)) {
        // "/**" may stand for no path segments at all: "/a/**" matches "/a", "/a/**/b" "/a/b".
        result = true;
    } else if (p.compare(pi, 2, "**") == 0) {
        for (std::size_t k = si; k <= s.size() && !result; ++k) {
            result = glob_at(p, pi + 2, s, k, memo);
        }
    } else if (p[pi] == '*') {
        for (std::size_t k = si; k <= s.size() && !result; ++k) {
            result = glob_at(p, pi + 1, s, k, memo);
            if (k < s.size() && s[k] == '/') break;
        }
    } else if (si < s.size() && (p[pi] == '?' ? s[si] != '/' : p[pi] == s[si])) {
        result = glob_at(p, pi + 1, s, si + 1, memo);
    }
    seen = result ? 2 : 1;
    return result;
}

}  // namespace

const BackendConfig* Config::find_backend(const std::string& name) const {
    for (const auto& backend : backends) {
        if (backend.name == name) return &backend;
    }
    return nullptr;
}

Environment current_environment() {
    Environment env;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string item(*entry);
        auto eq = item.find('=');
        if (eq != std::string::npos && eq > 0) env.emplace(item.substr(0, eq), item.substr(eq + 1));
    }
    return env;
}

Result<Config> parse(const std::string& text, const std::string& origin, const Environment& env) {
    try {
        util::ParsedJson<Json> parsed = util::parse_json_input<Json>(text);
        if (parsed.status == util::JsonStatus::Syntax) {
            return config_error(origin, "not valid JSON: " + parsed.error);
        }
        if (parsed.status == util::JsonStatus::TooDeep) return config_error(origin, parsed.error);
        Config config;
        Reader reader(env);
        if (!reader.read(parsed.value, config)) return config_error(origin, reader.issue());
        std::string why;
        if (!apply_environment(config, reader.claude_path_set(), env, why)) {
            return config_error(origin, why);
        }
        return config;
    } catch (const std::exception& e) {
        // Only resource exhaustion gets here; every input problem is reported above.
        return make_error(ErrorCode::Internal, origin + ": " + e.what());
    }
}

Result<Config> load(const std::optional<std::string>& cliPath, const Environment& env) {
    std::string why;
    // A file the user named explicitly must exist: falling back to defaults would hide a typo.
    auto named = [&](const std::string& path, const std::string& from) -> Result<Config> {
        std::string expanded;
        if (!expand_home(path, env, expanded, why)) return config_error(from, why);
        switch (probe(expanded, why)) {
            case FileState::Missing:
                return config_error(expanded, "config file not found (named by " + from + ")");
            case FileState::Broken:
                return config_error(expanded, why);
            case FileState::Present:
                break;
        }
        return load_file(expanded, env);
    };
    if (cliPath && !cliPath->empty()) return named(*cliPath, "--config");
    std::string fromEnv = get_env(env, "CLAUDE_JOBS_CONFIG");
    if (!fromEnv.empty()) return named(fromEnv, "$CLAUDE_JOBS_CONFIG");

    std::vector<std::string> candidates;
    std::string xdg = get_env(env, "XDG_CONFIG_HOME");
    if (is_absolute(xdg)) candidates.push_back(xdg + "/claude-jobs/config.json");
    std::string home = home_dir(env);
    if (!home.empty()) candidates.push_back(home + "/.config/claude-jobs/config.json");
    for (const auto& candidate : candidates) {
        switch (probe(candidate, why)) {
            case FileState::Missing:
                continue;
            case FileState::Broken:
                return config_error(candidate, why);
            case FileState::Present:
                return load_file(candidate, env);
        }
    }
    return parse("{}", "built-in defaults", env);
}

std::string choose_backend(const Config& config, const std::string& requested,
                           const std::string& workFolder) {
    if (!requested.empty()) return requested;
    if (!workFolder.empty()) {
        for (const auto& route : config.routes) {
            if (glob_match(route.workFolder, workFolder)) return route.backend;
        }
    }
    return config.defaultBackend;
}

std::string choose_isolation(const Config& config, const std::string& requested,
                             const std::string& workFolder, const std::string& backend) {
    if (!requested.empty()) return requested;
    for (const auto& route : config.routes)
        if (!route.isolation.empty() && glob_match(route.workFolder, workFolder))
            return route.isolation;
    if (const BackendConfig* b = config.find_backend(backend); b && !b->isolation.empty())
        return b->isolation;
    return config.isolation.mode;
}

bool glob_match(const std::string& pattern, const std::string& path) {
    std::vector<char> memo((pattern.size() + 1) * (path.size() + 1), 0);
    return glob_at(pattern, 0, path, 0, memo);
}

}  // namespace cj::config

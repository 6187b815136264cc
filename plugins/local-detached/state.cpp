// The settings and the per-job state (see state.h). Input may come from a config file, a
// database row or a file another process wrote, so nothing here trusts it or throws on it.
#include "state.h"

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace cj::local_detached {

namespace {

using Json = nlohmann::json;
using namespace cj::plugin_common;  // the strict readers of a backend's JSON

// The supervisor's identity, as this backend has always persisted it.
constexpr IdentityKeys kRunnerKeys{"runnerPid", "runnerStartTime", "bootId"};

constexpr int kMaxNiceness = 19;

bool valid_env_name(const std::string& name) {
    return !name.empty() && name.find('=') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

bool read_env(const Json& value, Settings& settings, std::string& why) {
    if (!value.is_object()) {
        why = "env: expected an object of strings, got " + value.dump();
        return false;
    }
    for (const auto& [name, text] : value.items()) {
        if (!valid_env_name(name) || !text.is_string()) {
            why = "env." + name + ": expected a variable name with a string value";
            return false;
        }
        settings.env.emplace_back(name, text.get<std::string>());
    }
    return true;
}

}  // namespace

bool parse_settings(const std::string& configJson, Settings& out, std::string& why) {
    Json config;
    if (!parse_object(configJson, config, why, "local-detached settings", true)) return false;
    Settings settings;
    for (const auto& [key, value] : config.items()) {
        if (key == "niceness") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                value.get<std::int64_t>() > kMaxNiceness) {
                why = "niceness: expected an integer from 0 to 19, got " + value.dump();
                return false;
            }
            settings.niceness = value.get<int>();
        } else if (key == "env") {
            if (!read_env(value, settings, why)) return false;
        } else {
            why = "unknown key \"" + key + "\" (known: niceness, env)";
            return false;
        }
    }
    out = std::move(settings);
    return true;
}

std::string encode_state(const RunnerState& state) {
    Json json{{"jobDir", state.jobDir}};
    write_identity(json, kRunnerKeys, state.runner);
    return json.dump();
}

bool decode_state(const std::string& text, RunnerState& out, std::string& why) {
    Json json;
    RunnerState state;
    if (!parse_object(text, json, why) || !read_identity(json, kRunnerKeys, state.runner, why) ||
        !read_string(json, "jobDir", state.jobDir, why))
        return false;
    if (state.jobDir.empty() || state.jobDir.front() != '/') {
        why = "\"jobDir\" is not an absolute path";
        return false;
    }
    out = std::move(state);
    return true;
}

}  // namespace cj::local_detached

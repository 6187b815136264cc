// Parsing the container backend's settings (see settings.h).
#include "settings.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "common/command.h"
#include "common/json_fields.h"

namespace cj::container {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

const char kKnownKeys[] =
    "runtime, image, claudePath, network, cpus, memory, user, mounts, env, mountClaudeConfig, "
    "runtimeArgs";

Result<void> bad(const std::string& key, const std::string& expected, const json& got) {
    return make_error(ErrorCode::InvalidArgument,
                      key + ": expected " + expected + ", got " + got.dump());
}

bool absolute_path(const std::string& path) {
    return !path.empty() && path.front() == '/' && path.find('\0') == std::string::npos &&
           path.find('\n') == std::string::npos;
}

Result<void> read_string(const json& value, const std::string& key, std::string& out,
                         const std::regex* pattern, const std::string& expected) {
    if (!value.is_string()) return bad(key, expected, value);
    std::string text = value.get<std::string>();
    if (!plugin_common::plain_option_value(text) || (pattern && !std::regex_match(text, *pattern)))
        return bad(key, expected, value);
    out = std::move(text);
    return {};
}

Result<void> read_mounts(const json& value, std::vector<Mount>& out) {
    const std::string expected =
        "an array of {\"source\": \"/abs\", \"target\": \"/abs\", \"writable\": false}";
    if (!value.is_array()) return bad("mounts", expected, value);
    for (std::size_t i = 0; i < value.size(); ++i) {
        const json& item = value[i];
        std::string key = "mounts[" + std::to_string(i) + "]";
        if (!item.is_object()) return bad(key, expected, item);
        Mount mount;
        for (const auto& [name, field] : item.items()) {
            if (name == "source" || name == "target") {
                if (!field.is_string() || !absolute_path(field.get<std::string>()))
                    return bad(key + "." + name, "an absolute path", field);
                (name == "source" ? mount.source : mount.target) = field.get<std::string>();
            } else if (name == "writable") {
                if (!field.is_boolean()) return bad(key + ".writable", "true or false", field);
                mount.writable = field.get<bool>();
            } else {
                return make_error(
                    ErrorCode::InvalidArgument,
                    key + ": unknown key \"" + name + "\" (known: source, target, writable)");
            }
        }
        if (mount.source.empty()) return bad(key + ".source", "an absolute path", item);
        if (mount.target.empty()) mount.target = mount.source;
        out.push_back(std::move(mount));
    }
    return {};
}

Result<void> read_string_list(const json& value, const std::string& key,
                              std::vector<std::string>& out, bool (*check)(const std::string&),
                              const std::string& expected) {
    if (!value.is_array()) return bad(key, expected, value);
    out.clear();
    for (const auto& item : value) {
        if (!item.is_string() || !check(item.get<std::string>())) return bad(key, expected, item);
        out.push_back(item.get<std::string>());
    }
    return {};
}

bool env_pattern(const std::string& text) {
    static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]*\\*?");
    return std::regex_match(text, pattern);
}

bool no_nul(const std::string& text) {
    return text.find('\0') == std::string::npos;
}

}  // namespace

bool env_name_selected(const std::vector<std::string>& patterns, const std::string& name) {
    for (const auto& pattern : patterns) {
        if (!pattern.empty() && pattern.back() == '*') {
            if (name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0 &&
                name.size() >= pattern.size() - 1)
                return true;
        } else if (pattern == name) {
            return true;
        }
    }
    return false;
}

Result<Settings> parse_settings(const std::string& configJson) {
    json config;
    std::string why;
    if (!cj::plugin_common::parse_object(configJson, config, why, "container settings", true))
        return make_error(ErrorCode::InvalidArgument, why);
    static const std::regex cpus("[0-9]+(\\.[0-9]+)?");
    static const std::regex memory("[0-9]+[bkmgBKMG]?");
    static const std::regex user("[0-9]{1,10}(:[0-9]{1,10})?");
    Settings s;
    for (const auto& [key, value] : config.items()) {
        Result<void> read;
        if (key == "runtime") {
            read = read_string(value, key, s.runtime, nullptr,
                               "\"docker\", \"podman\", \"auto\" or an absolute path");
            if (read && s.runtime != "docker" && s.runtime != "podman" && s.runtime != "auto" &&
                !absolute_path(s.runtime))
                read = bad(key, "\"docker\", \"podman\", \"auto\" or an absolute path", value);
        } else if (key == "image") {
            read = read_string(value, key, s.image, nullptr, "an image name");
        } else if (key == "claudePath") {
            read = read_string(value, key, s.claudePath, nullptr, "a program name or path");
        } else if (key == "network") {
            read = read_string(value, key, s.network, nullptr, "a network mode, e.g. \"none\"");
        } else if (key == "cpus") {
            json text = value.is_number() ? json(value.dump()) : value;
            read = read_string(text, key, s.cpus, &cpus, "a number of CPUs, e.g. 2 or \"1.5\"");
        } else if (key == "memory") {
            read = read_string(value, key, s.memory, &memory, "a size, e.g. \"4g\" or \"512m\"");
        } else if (key == "user") {
            read = read_string(value, key, s.user, &user, "numeric \"uid:gid\" or \"uid\"");
        } else if (key == "mounts") {
            read = read_mounts(value, s.mounts);
        } else if (key == "env") {
            read = read_string_list(value, key, s.env, env_pattern,
                                    "an array of variable names (NAME, or NAME_* for a prefix)");
        } else if (key == "mountClaudeConfig") {
            if (!value.is_boolean())
                read = bad(key, "true or false", value);
            else
                s.mountClaudeConfig = value.get<bool>();
        } else if (key == "runtimeArgs") {
            read = read_string_list(value, key, s.runtimeArgs, no_nul, "an array of strings");
        } else {
            return make_error(ErrorCode::InvalidArgument,
                              "unknown key \"" + key + "\" (known: " + kKnownKeys + ")");
        }
        if (!read) return read.error();
    }
    return s;
}

}  // namespace cj::container

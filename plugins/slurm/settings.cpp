// Reading the slurm backend's settings (see settings.h).
#include "settings.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "common/command.h"
#include "common/json_fields.h"

namespace cj::slurm {

namespace {

using nlohmann::json;

const char kKnownKeys[] =
    "partition, account, qos, cpus, memory, timeLimit, constraint, extraArgs, sbatchPath, "
    "squeuePath, scancelPath, scontrolPath, environment, sharedRoot, runnerPath";

bool bad(const std::string& key, const std::string& expected, const json& got, std::string& why) {
    why = key + ": expected " + expected + ", got " + got.dump();
    return false;
}

bool absolute_path(const std::string& path) {
    if (path.empty() || path.front() != '/') return false;
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

bool read_value(const json& value, const std::string& key, std::string& out,
                const std::regex* pattern, const std::string& expected, std::string& why) {
    if (!value.is_string()) return bad(key, expected, value, why);
    std::string text = value.get<std::string>();
    if (!plugin_common::plain_option_value(text) || (pattern && !std::regex_match(text, *pattern)))
        return bad(key, expected, value, why);
    out = std::move(text);
    return true;
}

bool read_path(const json& value, const std::string& key, std::string& out, std::string& why) {
    if (!value.is_string() || !absolute_path(value.get<std::string>()))
        return bad(key, "an absolute path", value, why);
    out = value.get<std::string>();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return true;
}

bool env_pattern(const std::string& text) {
    static const std::regex pattern("\\*|[A-Za-z_][A-Za-z0-9_]*\\*?");
    return std::regex_match(text, pattern);
}

// An sbatch option of extraArgs: "--name" or "--name=value" (or a short "-x"), one argument
// each, no control characters; sbatch reads it as nothing else.
bool sbatch_option(const std::string& text) {
    if (text.size() < 2 || text.front() != '-') return false;
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

bool read_list(const json& value, const std::string& key, std::vector<std::string>& out,
               bool (*check)(const std::string&), const std::string& expected, std::string& why) {
    if (!value.is_array()) return bad(key, expected, value, why);
    std::vector<std::string> items;
    for (const auto& item : value) {
        if (!item.is_string() || !check(item.get<std::string>()))
            return bad(key, expected, item, why);
        items.push_back(item.get<std::string>());
    }
    out = std::move(items);
    return true;
}

}  // namespace

bool env_name_selected(const std::vector<std::string>& patterns, const std::string& name) {
    for (const auto& pattern : patterns) {
        if (pattern == "*") return true;
        if (!pattern.empty() && pattern.back() == '*') {
            if (name.size() >= pattern.size() - 1 &&
                name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0)
                return true;
        } else if (pattern == name) {
            return true;
        }
    }
    return false;
}

bool path_within(const std::string& path, const std::string& folder) {
    if (folder == "/") return !path.empty() && path.front() == '/';
    return path.compare(0, folder.size(), folder) == 0 &&
           (path.size() == folder.size() || path[folder.size()] == '/');
}

bool parse_settings_json(const std::string& configJson, Settings& out, std::string& why) {
    json config;
    if (!cj::plugin_common::parse_object(configJson, config, why, "slurm settings", true))
        return false;
    // Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or a word.
    static const std::regex time(
        "[0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2}|UNLIMITED|INFINITE|unlimited|infinite");
    static const std::regex memory("[0-9]+[KMGTkmgt]?");
    static const std::regex name("[A-Za-z0-9_.,:+@-]+");
    static const std::regex constraint("[A-Za-z0-9_.,:|&*()\\[\\]!-]+");
    Settings s;
    for (const auto& [key, value] : config.items()) {
        bool ok = true;
        if (key == "partition") {
            ok = read_value(value, key, s.partition, &name, "a partition name (or a list)", why);
        } else if (key == "account") {
            ok = read_value(value, key, s.account, &name, "an account name", why);
        } else if (key == "qos") {
            ok = read_value(value, key, s.qos, &name, "a QOS name", why);
        } else if (key == "cpus") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
                value.get<std::int64_t>() > 4096)
                ok = bad(key, "a number of CPUs from 1 to 4096", value, why);
            else
                s.cpus = value.get<int>();
        } else if (key == "memory") {
            json text = value.is_number_unsigned() ? json(value.dump()) : value;
            ok = read_value(text, key, s.memory, &memory,
                            "a size as sbatch --mem takes it, e.g. \"4G\" or 2048 (MB)", why);
        } else if (key == "timeLimit") {
            json text = value.is_number_unsigned() ? json(value.dump()) : value;
            ok = read_value(text, key, s.timeLimit, &time,
                            "a Slurm time limit, e.g. 90 (minutes), \"4:00:00\" or \"1-12\"", why);
        } else if (key == "constraint") {
            ok =
                read_value(value, key, s.constraint, &constraint, "a node feature expression", why);
        } else if (key == "extraArgs") {
            ok = read_list(value, key, s.extraArgs, sbatch_option,
                           "an array of sbatch options, each one argument like \"--exclusive\" "
                           "or \"--gres=gpu:1\"",
                           why);
        } else if (key == "sbatchPath") {
            ok = read_path(value, key, s.sbatchPath, why);
        } else if (key == "squeuePath") {
            ok = read_path(value, key, s.squeuePath, why);
        } else if (key == "scancelPath") {
            ok = read_path(value, key, s.scancelPath, why);
        } else if (key == "scontrolPath") {
            ok = read_path(value, key, s.scontrolPath, why);
        } else if (key == "environment") {
            ok = read_list(value, key, s.environment, env_pattern,
                           "an array of variable names (NAME, NAME_* for a prefix, or \"*\")", why);
        } else if (key == "sharedRoot") {
            ok = read_path(value, key, s.sharedRoot, why);
        } else if (key == "runnerPath") {
            ok = read_path(value, key, s.runnerPath, why);
        } else {
            why = "unknown key \"" + key + "\" (known: " + kKnownKeys + ")";
            return false;
        }
        if (!ok) return false;
    }
    out = std::move(s);
    return true;
}

}  // namespace cj::slurm

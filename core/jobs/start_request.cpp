#include "core/jobs/start_request.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/util/json_input.h"

extern char** environ;

namespace cj::jobs {

using nlohmann::json;

const std::vector<std::string>& permission_modes() {
    static const std::vector<std::string> modes = {
        "acceptEdits", "auto", "bypassPermissions", "default", "dontAsk", "manual", "plan"};
    return modes;
}

json JobSettings::to_json() const {
    json j = {{"model", model},
              {"permissionMode", permissionMode},
              {"allowedTools", allowedTools},
              {"disallowedTools", disallowedTools},
              {"resumeSessionId", resumeSessionId},
              {"forkSession", forkSession},
              {"timeoutSec", timeoutSec}};
    if (maxBudgetUsd) j["maxBudgetUsd"] = *maxBudgetUsd;
    if (isolation != "none") j["isolation"] = isolation;
    if (includeUncommitted) j["includeUncommitted"] = true;
    if (resumeAfterLimit) j["resumeAfterLimit"] = true;
    if (json o = options.to_json(); !o.empty()) j["options"] = o;
    if (!resumeOf.empty()) {
        j["resumeOf"] = resumeOf;
        j["resumeAttempt"] = resumeAttempt;
    }
    return j;
}

JobSettings JobSettings::from_json(const json& j) {
    JobSettings s;
    if (!j.is_object()) return s;
    s.model = j.value("model", "");
    s.permissionMode = j.value("permissionMode", "");
    s.allowedTools = j.value("allowedTools", std::vector<std::string>{});
    s.disallowedTools = j.value("disallowedTools", std::vector<std::string>{});
    s.resumeSessionId = j.value("resumeSessionId", "");
    s.forkSession = j.value("forkSession", false);
    s.timeoutSec = j.value("timeoutSec", std::int64_t{0});
    if (j.contains("maxBudgetUsd") && j["maxBudgetUsd"].is_number())
        s.maxBudgetUsd = j["maxBudgetUsd"].get<double>();
    s.isolation = j.value("isolation", "none");
    s.includeUncommitted = j.value("includeUncommitted", false);
    s.resumeAfterLimit = j.value("resumeAfterLimit", false);
    if (j.contains("options")) s.options = SpecOptions::from_json(j["options"]);
    s.resumeOf = j.value("resumeOf", "");
    s.resumeAttempt = j.value("resumeAttempt", 0);
    return s;
}

std::string LaunchPlan::to_json() const {
    return json{
        {"claudePath", claudePath}, {"args", args}, {"env", env}, {"timeoutSec", timeoutSec}}
        .dump();
}

std::optional<LaunchPlan> LaunchPlan::from_json(const std::string& text) {
    json j = util::parse_json_or_discarded(text);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    auto strings = [&](const char* key, std::vector<std::string>& out) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_array()) return false;
        for (const auto& item : *it) {
            if (!item.is_string()) return false;
            out.push_back(item.get<std::string>());
        }
        return true;
    };
    LaunchPlan plan;
    auto path = j.find("claudePath");
    auto timeout = j.find("timeoutSec");
    if (path == j.end() || !path->is_string() || timeout == j.end() ||
        !timeout->is_number_integer() || !strings("args", plan.args) || !strings("env", plan.env))
        return std::nullopt;
    plan.claudePath = path->get<std::string>();
    plan.timeoutSec = timeout->get<std::int64_t>();
    return plan;
}

std::vector<std::string> claude_args(const JobSettings& s, const config::ClaudeConfig& claude) {
    std::vector<std::string> args = {"-p", "--output-format", "stream-json", "--verbose"};
    // A job loads no MCP server unless asked (a folder's .mcp.json could name this server).
    if (s.options.strictMcpConfig.value_or(true)) args.push_back("--strict-mcp-config");
    if (!s.model.empty()) args.insert(args.end(), {"--model", s.model});
    if (!s.permissionMode.empty()) args.insert(args.end(), {"--permission-mode", s.permissionMode});
    // "--flag=value" keeps each value bound to its flag whatever it looks like.
    for (const auto& t : s.allowedTools) args.push_back("--allowedTools=" + t);
    for (const auto& t : s.disallowedTools) args.push_back("--disallowedTools=" + t);
    if (!s.resumeSessionId.empty()) {
        args.insert(args.end(), {"--resume", s.resumeSessionId});
        if (s.forkSession) args.push_back("--fork-session");
    }
    if (s.maxBudgetUsd) {
        char budget[64];
        // The shortest text that reads back as the same number: a tiny budget never
        // rounds to zero.
        auto written = std::to_chars(budget, budget + sizeof budget, *s.maxBudgetUsd);
        args.insert(args.end(), {"--max-budget-usd", std::string(budget, written.ptr)});
    }
    append_spec_args(s.options, args);
    args.insert(args.end(), claude.extraArgs.begin(), claude.extraArgs.end());
    return args;
}

std::vector<std::string> job_environment(const std::vector<std::string>& base,
                                         const config::ClaudeConfig& claude,
                                         const std::string& jobId, int depth) {
    auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
    std::vector<std::string> env;
    for (const auto& entry : base) {
        std::string name = name_of(entry);
        if (name == "CLAUDE_JOBS_JOB_ID" || name == "CLAUDE_JOBS_DEPTH") continue;
        if (claude.env.count(name)) continue;
        if (std::find(claude.removeEnv.begin(), claude.removeEnv.end(), name) !=
            claude.removeEnv.end())
            continue;
        env.push_back(entry);
    }
    env.push_back("CLAUDE_JOBS_JOB_ID=" + jobId);
    env.push_back("CLAUDE_JOBS_DEPTH=" + std::to_string(depth));
    for (const auto& [name, value] : claude.env)
        if (name != "CLAUDE_JOBS_JOB_ID" && name != "CLAUDE_JOBS_DEPTH")  // ours, always
            env.push_back(name + "=" + value);
    return env;
}

std::vector<std::string> process_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    return env;
}

}  // namespace cj::jobs

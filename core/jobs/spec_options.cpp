#include "core/jobs/spec_options.h"

#include <algorithm>
#include <filesystem>

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {
constexpr std::size_t kMaxText = 64 * 1024;
constexpr std::size_t kMaxDirs = 50;
constexpr std::int64_t kMaxTurns = 10000;

Result<void> invalid(const std::string& message) {
    return make_error(ErrorCode::InvalidArgument, message);
}

Result<void> check_text(const char* name, const std::string& value) {
    if (value.empty()) return {};
    if (value.size() > kMaxText) return invalid(std::string(name) + " is longer than 65536 bytes");
    if (value[0] == '-') return invalid(std::string(name) + " may not start with '-'");
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f)
            return invalid(std::string(name) + " may not contain a newline or control character");
    return {};
}

Result<void> check_object(const char* name, const std::optional<json>& value) {
    if (!value) return {};
    if (!value->is_object()) return invalid(std::string(name) + " must be a JSON object");
    if (value->dump().size() > kMaxText)
        return invalid(std::string(name) + " is larger than 65536 bytes");
    return {};
}

Result<void> check_dirs(const std::vector<std::string>& dirs) {
    if (dirs.size() > kMaxDirs) return invalid("addDirs holds more than 50 folders");
    for (const auto& d : dirs) {
        if (auto r = check_text("addDirs", d); !r) return r;
        std::error_code ec;
        if (d.empty() || d[0] != '/' || !std::filesystem::is_directory(d, ec))
            return invalid("addDirs: \"" + d + "\" is not the absolute path of an existing folder");
    }
    return {};
}
}  // namespace

const std::vector<std::string>& efforts() {
    static const std::vector<std::string> names = {"low", "medium", "high", "xhigh", "max"};
    return names;
}

json SpecOptions::to_json() const {
    json j = json::object();
    if (!effort.empty()) j["effort"] = effort;
    if (maxTurns) j["maxTurns"] = *maxTurns;
    if (!appendSystemPrompt.empty()) j["appendSystemPrompt"] = appendSystemPrompt;
    if (!addDirs.empty()) j["addDirs"] = addDirs;
    if (jsonSchema) j["jsonSchema"] = *jsonSchema;
    if (mcpConfig) j["mcpConfig"] = *mcpConfig;
    if (strictMcpConfig) j["strictMcpConfig"] = *strictMcpConfig;
    if (settings) j["settings"] = *settings;
    if (!fallbackModel.empty()) j["fallbackModel"] = fallbackModel;
    return j;
}

SpecOptions SpecOptions::from_json(const json& j) {
    SpecOptions o;
    if (!j.is_object()) return o;
    o.effort = j.value("effort", "");
    if (j.contains("maxTurns") && j["maxTurns"].is_number_integer())
        o.maxTurns = j["maxTurns"].get<std::int64_t>();
    o.appendSystemPrompt = j.value("appendSystemPrompt", "");
    o.addDirs = j.value("addDirs", std::vector<std::string>{});
    if (j.contains("jsonSchema")) o.jsonSchema = j["jsonSchema"];
    if (j.contains("mcpConfig")) o.mcpConfig = j["mcpConfig"];
    if (j.contains("strictMcpConfig") && j["strictMcpConfig"].is_boolean())
        o.strictMcpConfig = j["strictMcpConfig"].get<bool>();
    if (j.contains("settings")) o.settings = j["settings"];
    o.fallbackModel = j.value("fallbackModel", "");
    return o;
}

Result<void> check_spec_options(const SpecOptions& o) {
    if (!o.effort.empty() &&
        std::find(efforts().begin(), efforts().end(), o.effort) == efforts().end())
        return invalid("effort must be one of low, medium, high, xhigh, max");
    if (o.maxTurns && (*o.maxTurns < 1 || *o.maxTurns > kMaxTurns))
        return invalid("maxTurns must be from 1 to 10000");
    for (auto r : {check_text("appendSystemPrompt", o.appendSystemPrompt),
                   check_text("fallbackModel", o.fallbackModel), check_dirs(o.addDirs),
                   check_object("jsonSchema", o.jsonSchema), check_object("mcpConfig", o.mcpConfig),
                   check_object("settings", o.settings)})
        if (!r) return r;
    if (o.mcpConfig &&
        !(o.mcpConfig->contains("mcpServers") && (*o.mcpConfig)["mcpServers"].is_object()))
        return invalid("mcpConfig must be an object with an \"mcpServers\" object");
    return {};
}

void append_spec_args(const SpecOptions& o, std::vector<std::string>& args) {
    if (!o.effort.empty()) args.push_back("--effort=" + o.effort);
    if (o.maxTurns) args.push_back("--max-turns=" + std::to_string(*o.maxTurns));
    if (!o.appendSystemPrompt.empty())
        args.push_back("--append-system-prompt=" + o.appendSystemPrompt);
    for (const auto& d : o.addDirs) args.push_back("--add-dir=" + d);
    if (o.jsonSchema) args.push_back("--json-schema=" + o.jsonSchema->dump());
    if (o.mcpConfig) args.push_back("--mcp-config=" + o.mcpConfig->dump());
    if (o.settings) args.push_back("--settings=" + o.settings->dump());
    if (!o.fallbackModel.empty()) args.push_back("--fallback-model=" + o.fallbackModel);
}

}  // namespace cj::jobs

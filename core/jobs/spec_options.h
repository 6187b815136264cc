// The rest of the job spec people pass to `claude -p` (docs/tools.md, claude_start): effort,
// turns, an appended system prompt, extra folders, a JSON schema for structured output, MCP
// servers, settings and a fallback model. Each is checked here and becomes exactly one argv
// element `--flag=value` (or a bare flag), so no value can ever be read as another option.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"

namespace cj::jobs {

struct SpecOptions {
    std::string effort;                    // low, medium, high, xhigh, max
    std::optional<std::int64_t> maxTurns;  // >= 1
    std::string appendSystemPrompt;
    std::vector<std::string> addDirs;          // absolute paths of existing folders
    std::optional<nlohmann::json> jsonSchema;  // an object: structured output
    std::optional<nlohmann::json> mcpConfig;   // an object with mcpServers
    std::optional<bool> strictMcpConfig;       // unset = true: only mcpConfig's servers load
    std::optional<nlohmann::json> settings;    // an object
    std::string fallbackModel;

    nlohmann::json to_json() const;
    static SpecOptions from_json(const nlohmann::json& j);
};

// The efforts claude takes.
const std::vector<std::string>& efforts();

// InvalidArgument naming the argument when a value is not acceptable: a text value may not
// start with '-' nor hold a newline or other control character; JSON values must be objects.
claude_jobs::Result<void> check_spec_options(const SpecOptions& options);

// Appends the options' arguments to claude's command line (--strict-mcp-config, which is
// on by default, is placed by claude_args right after the base).
void append_spec_args(const SpecOptions& options, std::vector<std::string>& args);

}  // namespace cj::jobs

// Reading a tool's arguments strictly: wrong types, unknown names and out-of-range values
// become one clear invalid_argument message the model can act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/tools/tool.h"

namespace cj::tools {

// Thrown inside a tool's argument parsing only, and caught by the tool itself.
struct ArgumentError {
    std::string message;
};

class Args {
  public:
    // Refuses any name not in `known`.
    Args(const nlohmann::json& args, std::vector<std::string> known);

    std::optional<std::string> string(const std::string& name, std::size_t maxBytes = 4096) const;
    std::string required_string(const std::string& name, std::size_t maxBytes = 4096) const;
    // An error names the bounds in human terms: `meaning` when given ("a byte offset"), else
    // "from min to max", or "min or more" when max is INT64_MAX (no bound of the caller's).
    std::optional<std::int64_t> integer(const std::string& name, std::int64_t min,
                                        std::int64_t max, const char* meaning = nullptr) const;
    std::optional<double> number(const std::string& name, double min, double max) const;
    std::optional<bool> boolean(const std::string& name) const;
    // A string, or an array of strings; each at most maxBytes.
    std::vector<std::string> strings(const std::string& name, std::size_t maxItems,
                                     std::size_t maxBytes = 1024) const;
    // The same, checking only the types: for values whose bounds are checked where the
    // request is accepted (jobs::StartAcceptor), so they are checked in one place.
    std::vector<std::string> string_list(const std::string& name) const;
    std::optional<std::int64_t> any_integer(const std::string& name) const;
    // Any JSON object (its contents are checked where the request is accepted).
    std::optional<nlohmann::json> object(const std::string& name) const;

  private:
    const nlohmann::json* find(const std::string& name) const;
    const nlohmann::json& args_;
};

// The isError result for a Result error: {"error": {"code", "message"}}.
ToolResult error_result(const claude_jobs::Error& error);
ToolResult error_result(claude_jobs::ErrorCode code, const std::string& message);

// Runs a tool body, turning ArgumentError into invalid_argument.
template <class F>
ToolResult guarded(F&& body) {
    try {
        return body();
    } catch (const ArgumentError& e) {
        return error_result(claude_jobs::ErrorCode::InvalidArgument, e.message);
    }
}

// A listing cursor this server gave out (a job's seq, in decimal digits): claude_jobs'
// `cursor` and resources/list's. nullopt for anything else.
std::optional<std::int64_t> parse_list_cursor(const std::string& cursor);

// Schema pieces shared by the tools.
nlohmann::json error_schema();
// A tool's outputSchema: its success shape, or {"error": {...}} when isError is set (clients
// validate structuredContent against outputSchema in both cases).
nlohmann::json output_schema(nlohmann::json successSchema);
// The jobId input of the tools that act on one job.
nlohmann::json job_id_schema();
// A tool's annotations (see Tool::annotations).
nlohmann::json annotations(bool readOnly, bool destructive, bool idempotent);

}  // namespace cj::tools

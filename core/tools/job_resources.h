// Jobs as MCP resources (docs/protocol.md): claude-jobs://job/{jobId}, .../log, .../result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/jobs/job_service.h"
#include "core/tools/resource.h"

namespace cj::tools {

struct JobResourceUri {
    enum class Part { View, Log, Result };
    std::string jobId;
    Part part = Part::View;
};

// nullopt for anything but claude-jobs://job/<valid id>[/log|/result].
std::optional<JobResourceUri> parse_job_resource_uri(const std::string& uri);
// A job's three URIs: the view, the log, the result.
std::vector<std::string> job_resource_uris(const std::string& jobId);
// The resource_link content block claude_start's result carries.
nlohmann::json job_resource_link(const jobs::JobRecord& job);

Resources make_job_resources(jobs::JobService& service);

}  // namespace cj::tools

// Resources as the MCP layer sees them: URI templates, a paged list, a read by URI. The
// protocol layer serves resources/list, resources/templates/list, resources/read and the
// subscriptions with these; it knows nothing of jobs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"

namespace cj::tools {

struct ResourceTemplate {
    std::string uriTemplate;  // RFC 6570, e.g. claude-jobs://job/{jobId}
    std::string name;
    std::string title;
    std::string description;
    std::string mimeType;
};

struct ResourcePage {
    nlohmann::json resources = nlohmann::json::array();  // MCP Resource objects
    std::string nextCursor;                               // "" = the last page
};

struct Resources {
    std::vector<ResourceTemplate> templates;
    // A page of resources; cursor is the nextCursor of the page before ("" = the first).
    // InvalidArgument for a cursor it did not give out.
    std::function<claude_jobs::Result<ResourcePage>(const std::string& cursor)> list;
    // The contents of one URI: MCP's contents array. NotFound when nothing has that URI.
    // Called on a worker thread.
    std::function<claude_jobs::Result<nlohmann::json>(const std::string& uri)> read;
    // Whether a URI names something that exists (resources/subscribe accepts only those).
    std::function<bool(const std::string& uri)> exists;
};

}  // namespace cj::tools

// A tool as the MCP layer sees it: a name, schemas, and a call. The protocol layer lists
// tools and routes tools/call here; it knows nothing of jobs.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/tools/request_context.h"

namespace cj::tools {

struct ToolResult {
    nlohmann::json structured;  // becomes structuredContent and, readable, the text block
    bool isError = false;       // a tool-level failure: structured holds {"error": {...}}
    // Content blocks after the text block (a resource_link to a started job); [] = none.
    nlohmann::json links = nlohmann::json::array();
    // What the text block reads, instead of structured, for a client that also receives
    // structuredContent (protocol 2025-06-18 and later): structured with its bulk (every
    // listed row, a transcript tail, a final answer) replaced by short notes, so the bulk goes
    // once. Null: such a client's text block reads structured, as an older client's does.
    nlohmann::json brief = nullptr;
};

struct Tool {
    std::string name;
    std::string title;
    std::string description;
    nlohmann::json inputSchema;
    nlohmann::json outputSchema;
    // MCP tool annotations (readOnlyHint, destructiveHint, idempotentHint): hints a client
    // uses to decide what needs a person's approval.
    nlohmann::json annotations;
    // Called on a worker thread; may block (bounded) and should honour ctx.cancel.
    // May throw only for bugs; the protocol layer turns an exception into an internal error.
    std::function<ToolResult(const nlohmann::json& args, tools::RequestContext& ctx)> call;
};

}  // namespace cj::tools

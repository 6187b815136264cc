// A tool's result on the wire (MCP CallToolResult): the readable text block, the tool's
// links, isError and structuredContent. tools/call answers it, and tasks/result answers it
// for a task-augmented call.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/tools/tool.h"

namespace cj::protocol {

nlohmann::json call_tool_result(tools::ToolResult result, const std::string& toolName);

}  // namespace cj::protocol

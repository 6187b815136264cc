// A tool's result on the wire (MCP CallToolResult): the readable text block, the tool's
// links, isError and structuredContent. Why the text block is a brief for a client that
// reads structuredContent: docs/protocol.md, "The text block". tools/call answers it, and
// tasks/result answers it for a task-augmented call.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/tools/tool.h"

namespace cj::protocol {

// Whether a client that agreed on this protocol version receives structuredContent: MCP
// 2025-06-18 introduced it.
bool reads_structured_content(const std::string& protocolVersion);

// readsStructured: the client receives structuredContent, so the text block reads the
// result's brief when it has one (tools/tool.h); otherwise the text block reads everything.
nlohmann::json call_tool_result(tools::ToolResult result, const std::string& toolName,
                                bool readsStructured);

}  // namespace cj::protocol

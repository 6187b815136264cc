#include "core/protocol/tool_result.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "core/tools/readable.h"

namespace cj::protocol {

using nlohmann::json;

json call_tool_result(tools::ToolResult result, const std::string& toolName) {
    // The text block is what many clients show the model: the same facts, written to be
    // read (tools/readable.h), rather than the structured content's JSON a second time.
    std::string text = result.structured.is_object()
                           ? tools::readable(result.structured)
                           : result.structured.dump(-1, ' ', false, json::error_handler_t::replace);
    json content = json::array({{{"type", "text"}, {"text", std::move(text)}}});
    for (auto& link : result.links) content.push_back(std::move(link));
    json answer{{"content", std::move(content)}, {"isError", result.isError}};
    // MCP types structuredContent as an object; anything else goes out as text only.
    if (result.structured.is_object()) {
        answer["structuredContent"] = std::move(result.structured);
    } else {
        spdlog::warn("tool {} returned a non-object result; sent as text only", toolName);
    }
    return answer;
}

}  // namespace cj::protocol

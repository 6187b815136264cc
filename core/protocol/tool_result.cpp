#include "core/protocol/tool_result.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "core/tools/readable.h"

namespace cj::protocol {

using nlohmann::json;

bool reads_structured_content(const std::string& protocolVersion) {
    // Versions are dates, YYYY-MM-DD: their text orders as they do.
    return protocolVersion >= "2025-06-18";
}

json call_tool_result(tools::ToolResult result, const std::string& toolName, bool readsStructured) {
    // The text block is written to be read (tools/readable.h), never the structured content's
    // JSON a second time. A client without structuredContent reads everything in it; one with
    // it reads the brief, when the tool gave one, and the bulk once, in structuredContent.
    const json& shown = readsStructured && result.structured.is_object() && result.brief.is_object()
                            ? result.brief
                            : result.structured;
    std::string text = shown.is_object()
                           ? tools::readable(shown)
                           : shown.dump(-1, ' ', false, json::error_handler_t::replace);
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

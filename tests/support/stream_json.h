// Lines of claude's stream-json event log (events.jsonl), as the CLI writes them ("type"
// first), for tests that need a job to have said something. Each ends with '\n'.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cj::testing::stream_json {

inline std::string init(const std::string& sessionId) {
    return R"({"type":"system","subtype":"init","session_id":)" + nlohmann::json(sessionId).dump() +
           R"(,"model":"claude-test","tools":[]})" + "\n";
}

// An assistant message holding one text block. Without a messageId each line is a turn.
inline std::string text(const std::string& words, const std::string& messageId = "",
                        const std::string& sessionId = "sess-1") {
    nlohmann::json message = {{"role", "assistant"},
                              {"content", {{{"type", "text"}, {"text", words}}}}};
    if (!messageId.empty()) message["id"] = messageId;
    return R"({"type":"assistant","message":)" + message.dump() + R"(,"session_id":)" +
           nlohmann::json(sessionId).dump() + "}\n";
}

inline std::string tool(const std::string& command, const std::string& messageId = "") {
    nlohmann::json message = {{"role", "assistant"},
                              {"content",
                               {{{"type", "tool_use"},
                                 {"id", "tu_1"},
                                 {"name", "Bash"},
                                 {"input", {{"command", command}}}}}}};
    if (!messageId.empty()) message["id"] = messageId;
    return R"({"type":"assistant","message":)" + message.dump() + "}\n";
}

// The final result event.
inline std::string result(const std::string& words, bool isError = false,
                          const std::string& sessionId = "sess-1",
                          const nlohmann::json& denials = nlohmann::json::array()) {
    return R"({"type":"result","subtype":)" +
           nlohmann::json(isError ? "error_during_execution" : "success").dump() +
           R"(,"is_error":)" + (isError ? "true" : "false") +
           R"(,"duration_ms":1234,"num_turns":1,"result":)" + nlohmann::json(words).dump() +
           R"(,"session_id":)" + nlohmann::json(sessionId).dump() +
           R"(,"total_cost_usd":0.01,"permission_denials":)" + denials.dump() + "}\n";
}

}  // namespace cj::testing::stream_json

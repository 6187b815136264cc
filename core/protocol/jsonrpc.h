// The JSON-RPC 2.0 message model the MCP layer speaks: what a line from the client is (a
// request, a notification, a response, or something to refuse), how ids look, and how the
// server's own messages (results, errors, notifications) are built. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace cj::protocol {

// JSON-RPC 2.0 error codes, plus the implementation-defined ones this server uses.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// From the -32000..-32099 "server error" range: refused because too many requests are in flight.
inline constexpr int kServerBusy = -32000;

inline constexpr std::string_view kJsonRpcVersion = "2.0";

// An id as JSON-RPC allows it, minus what MCP forbids: an integer (kept as int64, so large and
// negative ids echo exactly) or a string. Null, fractional, boolean and structured ids are not ids.
using RequestId = std::variant<std::int64_t, std::string>;

// A protocol-level error: becomes the "error" member of a response.
struct Error {
    int code = kInternalError;
    std::string message;
    nlohmann::json data;  // null = omitted
};

// Expects an id; answered with a result or an error.
struct Request {
    RequestId id;
    std::string method;
    nlohmann::json params;  // object or array; null when the message had none
};

// Has no "id" member, so it is never answered, not even when it is wrong.
struct Notification {
    std::string method;
    nlohmann::json params;  // object or array; null when the message had none
};

// A client's answer to a request of ours (the server sends none yet, so these are dropped).
struct Response {
    RequestId id;
    nlohmann::json result;  // null when error is set
    std::optional<Error> error;
};

// Broken in a way that deserves an error response: the id is echoed when it was usable.
struct Invalid {
    std::optional<RequestId> id;
    Error error;
};

// Broken, but shaped like something that must not be answered (a notification or a response).
struct Discarded {
    std::string why;
};

using Message = std::variant<Request, Notification, Response, Invalid, Discarded>;

// Classifies one line (without its line ending). Never throws, whatever the input.
// Unparsable → Invalid(-32700); a batch (JSON array) → Invalid(-32600), since MCP dropped
// batching in 2025-06-18 and one error for the whole array is the simplest honest answer.
// Nested deeper than util::kMaxJsonDepth → Invalid(-32600, "message nested deeper than N
// levels") with the request's id, or Discarded for a notification or a response; no tree
// deeper than the limit is ever built, so nothing downstream can recurse out of stack.
Message parse_message(std::string_view line);

// Classifies an already parsed value; parse_message minus the parsing. Takes the value to
// move params and results out of it rather than copy them.
Message classify(nlohmann::json value);

// The id in `value` when it is a usable one (integer within int64, or string).
std::optional<RequestId> parse_id(const nlohmann::json& value);

nlohmann::json id_to_json(const RequestId& id);
nlohmann::json id_to_json(const std::optional<RequestId>& id);  // nullopt → null
std::string to_string(const RequestId& id);                     // for logs: 7, "abc"

nlohmann::json make_result(const RequestId& id, nlohmann::json result);
nlohmann::json make_error(const std::optional<RequestId>& id, const Error& error);
nlohmann::json make_notification(std::string_view method, nlohmann::json params);

// The wire form of a message: one line, no embedded newline, '\n' appended. Strings that are
// not valid UTF-8 (tool output can contain anything) are repaired with U+FFFD, not thrown on.
std::string serialize(const nlohmann::json& message);

}  // namespace cj::protocol

// Classification of client messages and construction of the server's own, per JSON-RPC 2.0
// with MCP's narrowing (ids are never null; no batches).
#include "core/protocol/jsonrpc.h"

#include <limits>
#include <utility>

#include "core/util/json_input.h"

namespace cj::protocol {

using nlohmann::json;

namespace {

Invalid invalid(std::optional<RequestId> id, std::string message) {
    return Invalid{std::move(id), Error{kInvalidRequest, std::move(message), nullptr}};
}

// MCP's params are named: omitted or an object. A null is tolerated as "omitted" because some
// clients send it. An array (JSON-RPC's positional params) is valid JSON-RPC but not MCP.
bool params_acceptable(const json& object) {
    auto it = object.find("params");
    return it == object.end() || it->is_null() || it->is_object();
}
bool params_positional(const json& object) {
    auto it = object.find("params");
    return it != object.end() && it->is_array();
}

// Moved out, not copied: params can be most of an 8 MB line.
json take_params(json& object) {
    auto it = object.find("params");
    return it == object.end() ? json(nullptr) : std::move(*it);
}

bool has_version(const json& object) {
    auto it = object.find("jsonrpc");
    return it != object.end() && it->is_string() &&
           it->get_ref<const std::string&>() == kJsonRpcVersion;
}

std::optional<Error> parse_error_member(json& value) {
    if (!value.is_object()) return std::nullopt;
    auto code = value.find("code");
    auto message = value.find("message");
    if (code == value.end() || !code->is_number_integer()) return std::nullopt;
    Error error;
    error.code = code->get<int>();
    if (message != value.end() && message->is_string()) error.message = message->get<std::string>();
    if (auto data = value.find("data"); data != value.end()) error.data = std::move(*data);
    return error;
}

Message classify_response(json& object) {
    auto id = parse_id(object.at("id"));
    if (!id) return Discarded{"response with an unusable id"};
    Response response{*id, nullptr, std::nullopt};
    if (auto result = object.find("result"); result != object.end()) {
        response.result = std::move(*result);
    } else {
        response.error = parse_error_member(object.at("error"));
        if (!response.error) return Discarded{"response with a malformed error member"};
    }
    return response;
}

}  // namespace

std::optional<RequestId> parse_id(const json& value) {
    if (value.is_string()) return RequestId{value.get<std::string>()};
    if (value.is_number_integer()) {
        if (value.is_number_unsigned() &&
            value.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;  // would not echo exactly
        }
        return RequestId{value.get<std::int64_t>()};
    }
    return std::nullopt;
}

Message classify(json value) {
    if (value.is_array()) return invalid(std::nullopt, "batch requests are not supported");
    if (!value.is_object()) return invalid(std::nullopt, "a message must be a JSON object");

    auto idIt = value.find("id");
    bool hasId = idIt != value.end();
    bool hasMethod = value.contains("method");

    if (!hasMethod && (value.contains("result") || value.contains("error"))) {
        if (!hasId) return Discarded{"response without an id"};
        if (!has_version(value)) return Discarded{"response without jsonrpc \"2.0\""};
        return classify_response(value);
    }

    if (!hasId) {
        // Never answered: JSON-RPC forbids replying to notifications, even broken ones.
        if (!hasMethod)
            return invalid(std::nullopt, "neither a request, a notification nor a response");
        if (!has_version(value)) return Discarded{"notification without jsonrpc \"2.0\""};
        const json& method = value.at("method");
        if (!method.is_string()) return Discarded{"notification whose method is not a string"};
        if (!params_acceptable(value)) return Discarded{"notification with non-structured params"};
        return Notification{method.get<std::string>(), take_params(value)};
    }

    std::optional<RequestId> id = parse_id(*idIt);
    if (!id) {
        return invalid(std::nullopt, idIt->is_null() ? "id must not be null"
                                                     : "id must be a string or an integer");
    }
    if (!has_version(value)) return invalid(id, "jsonrpc must be \"2.0\"");
    if (!hasMethod) return invalid(id, "method is missing");
    const json& method = value.at("method");
    if (!method.is_string()) return invalid(id, "method must be a string");
    if (params_positional(value))
        return Invalid{std::move(id), Error{kInvalidParams,
                                            "params must be an object: MCP takes named "
                                            "parameters, not an array",
                                            nullptr}};
    if (!params_acceptable(value)) return invalid(id, "params must be an object");
    return Request{std::move(*id), method.get<std::string>(), take_params(value)};
}

Message parse_message(std::string_view line) {
    util::ParsedJson<json> parsed = util::parse_json_input(line);
    if (parsed.status == util::JsonStatus::Syntax) {
        // The parser's own words can quote a long token of the line: not echoed back.
        return Invalid{std::nullopt, Error{kParseError, "parse error: not valid JSON", nullptr}};
    }
    if (parsed.ok()) return classify(std::move(parsed.value));

    // Too deep. What is left above the limit still says what the message was meant to be: a
    // request is refused with its id (even one written after the deep part), a notification
    // or a response is dropped unanswered.
    const std::string& deep = parsed.error;  // "nested deeper than N levels"
    Message meant = classify(std::move(parsed.value));
    if (auto* request = std::get_if<Request>(&meant)) {
        return invalid(std::move(request->id), "message " + deep);
    }
    if (auto* refused = std::get_if<Invalid>(&meant)) {
        return invalid(std::move(refused->id), "message " + deep);
    }
    if (std::holds_alternative<Notification>(meant)) return Discarded{"notification " + deep};
    if (std::holds_alternative<Response>(meant)) return Discarded{"response " + deep};
    return meant;  // Discarded already
}

json id_to_json(const RequestId& id) {
    return std::visit([](const auto& v) { return json(v); }, id);
}

json id_to_json(const std::optional<RequestId>& id) {
    return id ? id_to_json(*id) : json(nullptr);
}

std::string to_string(const RequestId& id) {
    return id_to_json(id).dump(-1, ' ', false, json::error_handler_t::replace);
}

json make_result(const RequestId& id, json result) {
    return json{
        {"jsonrpc", kJsonRpcVersion}, {"id", id_to_json(id)}, {"result", std::move(result)}};
}

json make_error(const std::optional<RequestId>& id, const Error& error) {
    json body{{"code", error.code}, {"message", error.message}};
    if (!error.data.is_null()) body["data"] = error.data;
    return json{{"jsonrpc", kJsonRpcVersion}, {"id", id_to_json(id)}, {"error", std::move(body)}};
}

json make_notification(std::string_view method, json params) {
    json message{{"jsonrpc", kJsonRpcVersion}, {"method", method}};
    if (!params.is_null()) message["params"] = std::move(params);
    return message;
}

std::string serialize(const json& message) {
    // dump() escapes control characters, so the line cannot contain a raw newline.
    std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace);
    line.push_back('\n');
    return line;
}

}  // namespace cj::protocol

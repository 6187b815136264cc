// What a tool call gets besides its arguments: a way to notice cancellation (the client's
// notifications/cancelled, or the end of input) and a way to send notifications (progress).
// The protocol layer fills it in; tools and the command line only read it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/cancel_token.h"

namespace cj::tools {

struct RequestContext {
    std::shared_ptr<util::CancelToken> cancel = std::make_shared<util::CancelToken>();
    // The client's name and version as it gave them in initialize ("" before, or unknown).
    std::string clientName;
    // The request's params._meta.progressToken, when the client sent one.
    std::optional<nlohmann::json> progressToken;
    // Sends a JSON-RPC notification; safe from any thread. Set by the server.
    std::function<void(const std::string& method, const nlohmann::json& params)> notify =
        [](const std::string&, const nlohmann::json&) {};
    // Set by a caller that runs `afterReply` once the reply is written (the server does):
    // a tool may then leave work the reply does not need to it. Either way it runs exactly
    // once, on the request's thread, whether or not the reply was delivered.
    bool replyEarly = false;
    std::function<void()> afterReply;
};

}  // namespace cj::tools

// The resources face of a session (docs/protocol.md): resources/list, resources/templates/list,
// resources/read, resources/subscribe and resources/unsubscribe over a tools::Resources, and
// which URIs this client follows. Thread-safe: workers call it concurrently.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/tools/resource.h"

namespace cj::protocol {

// A method's answer: a result, or a JSON-RPC error.
using Outcome = std::variant<nlohmann::json, Error>;

// MCP's "resource not found".
inline constexpr int kResourceNotFound = -32002;

class ResourceFace {
  public:
    explicit ResourceFace(const tools::Resources& resources) : resources_(resources) {}

    // Whether there are resources to serve at all (else the methods are not offered).
    bool enabled() const { return static_cast<bool>(resources_.read); }
    // initialize's capabilities.resources.
    nlohmann::json capability() const;

    Outcome list(const nlohmann::json& params) const;
    Outcome templates(const nlohmann::json& params) const;
    Outcome read(const nlohmann::json& params) const;
    Outcome subscribe(const nlohmann::json& params);
    Outcome unsubscribe(const nlohmann::json& params);

    // Whether the client asked to be told when this URI changes.
    bool subscribed(const std::string& uri) const;

  private:
    const tools::Resources& resources_;
    mutable std::mutex mutex_;
    std::set<std::string, std::less<>> subscribed_;
};

}  // namespace cj::protocol

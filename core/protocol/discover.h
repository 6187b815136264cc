// The 2026-07-28 era of MCP beside the 2025 one (docs/protocol.md, "The 2026-07-28 era"):
// server/discover, the per-request _meta that replaces initialize, the era a connection is
// held to, and what every reply of that era carries (resultType, the cache hints of a list).
// It knows the wire of the era; the session (mcp_server.cpp) decides which era a request is.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"

namespace cj::protocol {

// The protocol versions served without initialize, newest first.
const std::vector<std::string>& stateless_protocol_versions();

// Error codes the 2026-07-28 schema allocates.
inline constexpr int kMissingRequiredClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;

// Reserved _meta keys of a 2026-07-28 request or result.
inline constexpr const char* kProtocolVersionKey = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kClientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kClientInfoKey = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kServerInfoKey = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";

// What a request's params._meta says of its era. A request with a protocol version in it is
// a 2026-07-28 request (whatever the version: an unknown one is refused, not taken for 2025).
struct EraMeta {
    std::optional<std::string> protocolVersion;  // set when _meta carries a string version
    bool versionMalformed = false;               // the key is there but not a string
    nlohmann::json clientCapabilities;           // the object, or null when absent
    std::string clientName;                      // "name version" from clientInfo, "" if none

    bool modern() const { return protocolVersion.has_value() || versionMalformed; }
    // Whether the request's capabilities declare the extension `id` (extensions.<id>).
    bool declares_extension(const std::string& id) const;
};
EraMeta era_meta_of(const nlohmann::json& params);

enum class Era { None, Legacy, Modern };
const char* era_name(Era era);

// Holds a connection to the era of its first request (initialize: 2025; a request with
// _meta's protocol version: 2026-07-28). Written on the reading thread only; era() may be
// read from any thread.
class EraGate {
  public:
    // Whether a request may go on: nullopt, or the error to answer. needsSession: the method
    // needs initialize (2025) or era _meta (2026-07-28); ping and server/discover do not.
    // A 2026-07-28 request that is admitted fixes the era.
    std::optional<Error> admit(const std::string& method, const EraMeta& meta, bool needsSession);
    // initialize was answered: the 2025 era.
    void initialized() { era_ = Era::Legacy; }
    Era era() const { return era_.load(); }

  private:
    std::atomic<Era> era_{Era::None};
};

// What server/discover and every 2026-07-28 reply say of the server.
struct ServerDescription {
    std::string name;
    std::string version;
    std::string instructions;     // "" = omitted
    nlohmann::json capabilities;  // ServerCapabilities of the era
};

nlohmann::json discover_result(const ServerDescription& server);

// A 2026-07-28 result: resultType ("complete" unless the handler set one), the cache hints
// of a cacheable method (ttlMs 0 and cacheScope "private": jobs change, and they are this
// user's) and _meta's serverInfo. An error of the 2025 era that the new one renames is
// renamed (resource not found -32002 → -32602).
nlohmann::json modern_result(nlohmann::json result, const std::string& method,
                             const ServerDescription& server);
Error modern_error(Error error);

// The -32021 error for a request that needs client capability `required` (a
// ClientCapabilities object, e.g. {"extensions": {"io.modelcontextprotocol/tasks": {}}}).
Error missing_capability(const std::string& what, nlohmann::json required);

}  // namespace cj::protocol

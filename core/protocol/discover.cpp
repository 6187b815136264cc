#include "core/protocol/discover.h"

#include <algorithm>
#include <set>

#include "core/transcript/text.h"

namespace cj::protocol {

using nlohmann::json;

const std::vector<std::string>& stateless_protocol_versions() {
    static const std::vector<std::string> versions = {"2026-07-28"};
    return versions;
}

namespace {

std::string quoted(const std::string& text) {
    return "\"" + transcript::one_line(text, 100) + "\"";
}

// The results the schema makes a CacheableResult.
bool cacheable(const std::string& method) {
    static const std::set<std::string, std::less<>> methods = {
        "server/discover", "tools/list", "resources/list", "resources/templates/list",
        "resources/read"};
    return methods.count(method) > 0;
}

// The code of "resource not found" in the 2025 era; the 2026-07-28 one answers -32602.
constexpr int kLegacyResourceNotFound = -32002;

}  // namespace

bool EraMeta::declares_extension(const std::string& id) const {
    if (!clientCapabilities.is_object()) return false;
    auto extensions = clientCapabilities.find("extensions");
    if (extensions == clientCapabilities.end() || !extensions->is_object()) return false;
    auto it = extensions->find(id);
    return it != extensions->end() && it->is_object();
}

EraMeta era_meta_of(const json& params) {
    EraMeta meta;
    if (!params.is_object()) return meta;
    auto m = params.find("_meta");
    if (m == params.end() || !m->is_object()) return meta;
    if (auto v = m->find(kProtocolVersionKey); v != m->end()) {
        if (v->is_string())
            meta.protocolVersion = v->get<std::string>();
        else
            meta.versionMalformed = true;
    }
    if (auto c = m->find(kClientCapabilitiesKey); c != m->end() && c->is_object())
        meta.clientCapabilities = *c;
    if (auto info = m->find(kClientInfoKey); info != m->end() && info->is_object()) {
        auto text = [&](const char* key) {
            auto it = info->find(key);
            return it != info->end() && it->is_string() ? it->get<std::string>() : "";
        };
        std::string name = text("name"), version = text("version");
        if (!name.empty())
            meta.clientName =
                name.substr(0, 100) + (version.empty() ? "" : " " + version.substr(0, 40));
    }
    return meta;
}

const char* era_name(Era era) {
    switch (era) {
        case Era::None:
            return "none";
        case Era::Legacy:
            return "2025 (initialize)";
        case Era::Modern:
            return "2026-07-28 (per-request _meta)";
    }
    return "?";
}

std::optional<Error> EraGate::admit(const std::string& method, const EraMeta& meta,
                                    bool needsSession) {
    const Era era = era_.load();
    if (method == "initialize") {
        if (era == Era::Modern)
            return Error{kInvalidRequest,
                         "this connection speaks protocol 2026-07-28 (each request carries "
                         "_meta[\"" +
                             std::string(kProtocolVersionKey) +
                             "\"]): initialize belongs to the 2025 era; one connection speaks "
                             "one era",
                         nullptr};
        return std::nullopt;
    }
    if (meta.modern()) {
        if (era == Era::Legacy)
            return Error{kInvalidRequest,
                         "this connection was initialized (the 2025 era): a request with _meta[\"" +
                             std::string(kProtocolVersionKey) +
                             "\"] belongs to the 2026-07-28 era; one connection speaks one era",
                         nullptr};
        if (meta.versionMalformed)
            return Error{kInvalidRequest,
                         "_meta[\"" + std::string(kProtocolVersionKey) + "\"] must be a string",
                         nullptr};
        const auto& versions = stateless_protocol_versions();
        if (std::find(versions.begin(), versions.end(), *meta.protocolVersion) == versions.end()) {
            std::string list;
            for (const auto& v : versions) list += (list.empty() ? "" : ", ") + v;
            return Error{kUnsupportedProtocolVersion,
                         "unsupported protocol version " + quoted(*meta.protocolVersion) +
                             ": this server speaks " + list +
                             " with per-request _meta (and 2025-11-25 and earlier through "
                             "initialize)",
                         json{{"supported", versions},
                              {"requested", transcript::one_line(*meta.protocolVersion, 100)}}};
        }
        // Discovery says what the server speaks; it does not choose for the client.
        if (method != "server/discover") era_ = Era::Modern;
        return std::nullopt;
    }
    if (!needsSession) return std::nullopt;
    if (era == Era::Modern)
        return Error{kInvalidRequest,
                     "this connection speaks protocol 2026-07-28: every request carries "
                     "_meta[\"" +
                         std::string(kProtocolVersionKey) + "\"] and _meta[\"" +
                         kClientCapabilitiesKey + "\"]",
                     nullptr};
    if (era == Era::None)
        return Error{kInvalidRequest,
                     "server not initialized: send initialize first (the 2025 era), or give "
                     "each request _meta[\"" +
                         std::string(kProtocolVersionKey) +
                         "\"] (2026-07-28; server/discover lists the versions)",
                     nullptr};
    return std::nullopt;
}

json discover_result(const ServerDescription& server) {
    json result = {{"supportedVersions", stateless_protocol_versions()},
                   {"capabilities", server.capabilities}};
    if (!server.instructions.empty()) result["instructions"] = server.instructions;
    return modern_result(std::move(result), "server/discover", server);
}

json modern_result(json result, const std::string& method, const ServerDescription& server) {
    if (!result.is_object()) return result;
    if (!result.contains("resultType")) result["resultType"] = "complete";
    if (result["resultType"] == "complete" && cacheable(method)) {
        if (!result.contains("ttlMs")) result["ttlMs"] = 0;
        if (!result.contains("cacheScope")) result["cacheScope"] = "private";
    }
    result["_meta"][kServerInfoKey] = {{"name", server.name}, {"version", server.version}};
    return result;
}

Error modern_error(Error error) {
    if (error.code == kLegacyResourceNotFound) error.code = kInvalidParams;
    return error;
}

Error missing_capability(const std::string& what, json required) {
    return Error{kMissingRequiredClientCapability,
                 what + " needs a client capability this request did not declare in _meta[\"" +
                     kClientCapabilitiesKey + "\"]: " + required.dump(),
                 json{{"requiredCapabilities", std::move(required)}}};
}

}  // namespace cj::protocol

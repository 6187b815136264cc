// Strict JSON field readers (see json_fields.h).
#include "common/json_fields.h"

#include <climits>

namespace cj::plugin_common {

bool parse_object(const std::string& text, nlohmann::json& out, std::string& why,
                  const std::string& what, bool emptyIsObject) {
    out = emptyIsObject && text.empty() ? nlohmann::json::object()
                                        : nlohmann::json::parse(text, nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
        why = what.empty() ? "not a JSON object" : what + " must be a JSON object";
        return false;
    }
    return true;
}

bool read_int(const nlohmann::json& object, const char* key, std::int64_t min, std::int64_t& out,
              std::string& why) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer()) {
        why = std::string("\"") + key + "\" is missing or not an integer";
        return false;
    }
    // Non-negative values parse as unsigned; those beyond int64 are not pids or times.
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX) {
        why = std::string("\"") + key + "\" is out of range";
        return false;
    }
    std::int64_t value = it->get<std::int64_t>();
    if (value < min) {
        why = std::string("\"") + key + "\" must be at least " + std::to_string(min);
        return false;
    }
    out = value;
    return true;
}

bool read_string(const nlohmann::json& object, const char* key, std::string& out,
                 std::string& why) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
        why = std::string("\"") + key + "\" is missing or not a string";
        return false;
    }
    out = it->get<std::string>();
    return true;
}

void write_identity(nlohmann::json& object, const IdentityKeys& keys,
                    const claude_jobs::ProcessIdentity& identity) {
    object[keys.pid] = identity.pid;
    object[keys.startTime] = identity.startTime;
    object[keys.bootId] = identity.bootId;
}

bool read_identity(const nlohmann::json& object, const IdentityKeys& keys,
                   claude_jobs::ProcessIdentity& out, std::string& why) {
    claude_jobs::ProcessIdentity identity;
    std::int64_t startTime = 0;
    if (!read_int(object, keys.pid, 2, identity.pid, why) ||
        !read_int(object, keys.startTime, 0, startTime, why) ||
        !read_string(object, keys.bootId, identity.bootId, why))
        return false;
    identity.startTime = static_cast<std::uint64_t>(startTime);
    out = std::move(identity);
    return true;
}

}  // namespace cj::plugin_common

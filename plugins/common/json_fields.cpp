// Strict JSON field readers (see json_fields.h).
#include "common/json_fields.h"

#include <climits>

namespace cj::plugin_common {

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

}  // namespace cj::plugin_common

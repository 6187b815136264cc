// Strict readers for the fields of a backend's JSON state (a database row, or a file another
// process wrote): each says which key is wrong and how, and none throws on what it is given.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace cj::plugin_common {

// object[key] as an integer of at least `min` that fits an int64. False with a reason naming
// the key when it is missing, not an integer, too large or too small.
bool read_int(const nlohmann::json& object, const char* key, std::int64_t min, std::int64_t& out,
              std::string& why);

// object[key] as a string. False with a reason naming the key when it is missing or not one.
bool read_string(const nlohmann::json& object, const char* key, std::string& out, std::string& why);

}  // namespace cj::plugin_common

// Strict readers for the fields of a backend's JSON state (a database row, or a file another
// process wrote): each says which key is wrong and how, and none throws on what it is given.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "claude_jobs/process_identity.h"

namespace cj::plugin_common {

// text as a JSON object, in out. False, with why = "<what> must be a JSON object" (what:
// "settings", say) or "not a JSON object" when what is empty, for anything else. With
// emptyIsObject, "" reads as {} (a backend's settings when the config has none).
bool parse_object(const std::string& text, nlohmann::json& out, std::string& why,
                  const std::string& what = "", bool emptyIsObject = false);

// object[key] as an integer of at least `min` that fits an int64. False with a reason naming
// the key when it is missing, not an integer, too large or too small.
bool read_int(const nlohmann::json& object, const char* key, std::int64_t min, std::int64_t& out,
              std::string& why);

// object[key] as a string. False with a reason naming the key when it is missing or not one.
bool read_string(const nlohmann::json& object, const char* key, std::string& out, std::string& why);

// The keys under which a backend's state keeps a process identity.
struct IdentityKeys {
    const char* pid;
    const char* startTime;
    const char* bootId;
};

// Puts identity into object under keys.
void write_identity(nlohmann::json& object, const IdentityKeys& keys,
                    const claude_jobs::ProcessIdentity& identity);

// object's identity under keys: a pid of at least 2 (0, 1 and negative ones would make a later
// kill() hit a group, init or everyone), a start time of at least 0 and a boot id. False with a
// reason naming the key otherwise.
bool read_identity(const nlohmann::json& object, const IdentityKeys& keys,
                   claude_jobs::ProcessIdentity& out, std::string& why);

}  // namespace cj::plugin_common

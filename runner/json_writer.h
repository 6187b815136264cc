// A minimal writer for the runner's flat JSON records (runner.json, exit.json). The runner
// stays free of a JSON library to stay small; the records are one object of scalars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cj::runner {

// Builds one JSON object, keys in the order they are added. Distinct names per type, so a
// string literal can never silently become a bool.
class JsonObject {
  public:
    JsonObject& add_int(std::string_view key, std::int64_t value);
    JsonObject& add_bool(std::string_view key, bool value);
    JsonObject& add_string(std::string_view key, std::string_view value);
    JsonObject& add_null(std::string_view key);

    // The object followed by a newline.
    std::string str() const;

  private:
    void add_key(std::string_view key);

    std::string body_;
};

// Appends value as a JSON string literal. Bytes that are not valid UTF-8 become U+FFFD, so the
// record always parses, whatever a path or an error message contains.
void append_json_string(std::string& out, std::string_view value);

}  // namespace cj::runner

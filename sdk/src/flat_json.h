// The SDK's own reader and writer for the job folder's small JSON records (runner.json,
// exit.json, cancel.json): one object whose values are scalars. Private to the SDK library,
// so neither the runner nor a backend needs a JSON library to speak the job-folder contract.
//
// The files are written by other processes (a runner, a backend, perhaps someone else's), so
// the reader trusts nothing: it is strict (RFC 8259 grammar, valid UTF-8, no duplicate keys,
// nothing after the object), bounded in size, and never recurses. A value that is itself an
// object or an array is checked and skipped with an explicit stack of at most kMaxDepth levels,
// so a newer writer may add one without older readers refusing the record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace claude_jobs::flat_json {

// Larger texts are refused before a byte is parsed: no record of the job folder comes close.
inline constexpr std::size_t kMaxTextBytes = 64 * 1024;
// How deep a skipped nested value may go.
inline constexpr std::size_t kMaxDepth = 32;

enum class Kind { Null, Bool, Number, String, Nested };

struct Value {
    Kind kind = Kind::Null;
    std::string text;   // a String's decoded text, or a Number's literal as written
    bool flag = false;  // a Bool's value
};

// One parsed object, its members in the order written. Thread-compatible; never throws on
// what it was given (only std::bad_alloc can leave it).
class Object {
  public:
    // nullopt with a reason for anything but one well-formed JSON object of at most
    // kMaxTextBytes, followed by nothing but white space.
    static std::optional<Object> parse(std::string_view text, std::string& why);

    // nullptr when the key is absent.
    const Value* find(std::string_view key) const;

    // The value as an integer that fits an int64 (no fraction, no exponent); nullopt when it
    // is absent, of another kind, or out of range.
    std::optional<std::int64_t> integer(std::string_view key) const;
    std::optional<std::string> string(std::string_view key) const;
    std::optional<bool> boolean(std::string_view key) const;

    std::size_t size() const { return members_.size(); }

  private:
    std::vector<std::pair<std::string, Value>> members_;
};

// "12", "-3" as an int64; nullopt for anything else (a fraction, an exponent, overflow).
std::optional<std::int64_t> parse_integer(std::string_view literal);

// A non-negative decimal literal of seconds ("30", "0.5") as milliseconds, rounded to the
// nearest; nullopt for a negative number, an exponent, or more than maxSeconds.
std::optional<std::int64_t> seconds_to_ms(std::string_view literal, std::int64_t maxSeconds);

// Appends value as a JSON string literal. Bytes that are not valid UTF-8 become U+FFFD, so
// what is written always parses, whatever a path or an error message holds.
void append_string(std::string& out, std::string_view value);

// Builds one flat object, keys in the order they are added. Distinct names per type, so a
// string literal can never silently become a bool.
class Writer {
  public:
    Writer& add_int(std::string_view key, std::int64_t value);
    Writer& add_uint(std::string_view key, std::uint64_t value);
    Writer& add_bool(std::string_view key, bool value);
    Writer& add_string(std::string_view key, std::string_view value);
    Writer& add_null(std::string_view key);

    // The object, without a trailing newline.
    std::string str() const;

  private:
    void add_key(std::string_view key);

    std::string body_;
};

}  // namespace claude_jobs::flat_json

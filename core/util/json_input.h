// Parsing JSON that comes from outside the process (a client's message, the config file, a
// job's event log, a hook's input) with a bound on nesting, checked while parsing, before a
// deep tree exists. nlohmann's parser itself is iterative, but copying, comparing and dumping
// a value recurse once per level: a 40 KB line of brackets is enough to overflow the stack.
// Every tree read through here is at most kMaxJsonDepth deep, so those walks stay small.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cj::util {

// How many arrays and objects may enclose one another: `[]` is 1 level, `{"a":[]}` 2, a bare
// scalar 0. 128 is serde_json's default; legitimate input needs far less (an MCP request,
// a stream-json event, a config file: under 10 levels, plus whatever a tool's input adds),
// and 128 levels of copy or dump take a few tens of KB of stack even in a Debug build.
inline constexpr std::size_t kMaxJsonDepth = 128;

enum class JsonStatus {
    Ok,
    Syntax,   // not JSON (or not only JSON: trailing text is an error too)
    TooDeep,  // valid JSON, nested deeper than the limit
};

template <class Json>
struct ParsedJson {
    // Ok: the document. TooDeep: the document with every value nested deeper than the limit
    // replaced by null, so its shallow members (a JSON-RPC id, say) can still be read; never
    // use it as the document. Syntax: discarded.
    Json value;
    JsonStatus status = JsonStatus::Ok;
    // Why it is not Ok: "parse error at line 1, column 3: ..." (this part can quote the input:
    // up to a token of it) or "nested deeper than 128 levels". Empty when Ok.
    std::string error;

    bool ok() const { return status == JsonStatus::Ok; }
};

// Parses one JSON text in a single pass; values nested deeper than maxDepth are skipped, not
// built, so the memory used is bounded by the text and the tree by maxDepth. Never throws on
// any input (only std::bad_alloc when memory runs out). Defined for nlohmann::json and
// nlohmann::ordered_json.
template <class Json = nlohmann::json>
ParsedJson<Json> parse_json_input(std::string_view text, std::size_t maxDepth = kMaxJsonDepth);

// The document, or a discarded value when it is not JSON or nested deeper than kMaxJsonDepth:
// in place of json::parse(text, nullptr, false) where the reason does not matter (a record
// that is skipped when it cannot be read).
nlohmann::json parse_json_or_discarded(std::string_view text);

}  // namespace cj::util

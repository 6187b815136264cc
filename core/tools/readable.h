// The text block of a tool result, written for a model to read: the same facts as the
// structured content, without JSON's quoting and escapes and without repeating itself.
//   key: value                one line per field; empty strings, nulls and empty lists left out
//   key:                      a text of several lines, indented by two spaces below its key
//     line one
//   key: a, b, c              a list of plain values
//   key (N): col | col | …    a list of flat objects: one header, then one row per item, with
//     v | v | …               a column every row leaves empty dropped, and a column whose value
//                             is the same in every row said once above the table
// Nested objects indent their fields by two spaces.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cj::tools {

std::string readable(const nlohmann::json& value);

// The note a brief (ToolResult::brief) puts where it leaves a value to structuredContent:
// "(4096 bytes, in structuredContent)", "(1000 rows, in structuredContent)".
std::string left_to_structured(std::size_t size, std::string_view unit);

// value with each field a JSON pointer names, when present and not empty, replaced by the
// note of its size (a string in bytes, an array in items, an object in bytes of JSON), and
// when present and empty removed.
nlohmann::json leave_to_structured(nlohmann::json value,
                                   std::initializer_list<std::string_view> pointers);

}  // namespace cj::tools

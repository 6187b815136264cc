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

#include <string>

#include <nlohmann/json.hpp>

namespace cj::tools {

std::string readable(const nlohmann::json& value);

}  // namespace cj::tools

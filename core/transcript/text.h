// Text for people and models: UTF-8-safe cuts and one-line summaries of whatever a job printed.
#pragma once

#include <cstddef>
#include <string>

namespace cj::transcript {

// Keeps the last maxBytes of text, cut at a UTF-8 character boundary.
std::string utf8_tail(const std::string& text, std::size_t maxBytes);
// Keeps the first maxBytes, likewise.
std::string utf8_head(const std::string& text, std::size_t maxBytes);
// One line: newlines and tabs become spaces, control characters go, at most maxBytes.
std::string one_line(const std::string& text, std::size_t maxBytes);

}  // namespace cj::transcript

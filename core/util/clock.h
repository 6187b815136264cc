// Wall-clock time as the job index and the job view use it: milliseconds since the Unix
// epoch, shown as ISO 8601 in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace cj::util {

std::int64_t now_ms();

// "2026-11-21T05:50:00.123Z"
std::string iso8601(std::int64_t ms);

}  // namespace cj::util

// The two clocks the runner uses: wall time for its records, and a clock that never jumps for
// its limits.
#pragma once

#include <cstdint>

namespace cj::runner {

// Milliseconds since the Unix epoch (for records) and on a clock that never jumps (for limits).
std::int64_t wall_ms();
std::int64_t monotonic_ms();

}  // namespace cj::runner

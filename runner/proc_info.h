// What identifies a process across time (SPEC §3.4, runner.json): a pid alone can be reused,
// so the server also compares the start time and the boot id.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace cj::runner {

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot.
// -1 when it cannot be read.
std::int64_t process_start_time(pid_t pid);

// /proc/sys/kernel/random/boot_id without the newline; "" when it cannot be read.
std::string boot_id();

// Milliseconds since the Unix epoch (for records) and on a clock that never jumps (for limits).
std::int64_t wall_ms();
std::int64_t monotonic_ms();

}  // namespace cj::runner

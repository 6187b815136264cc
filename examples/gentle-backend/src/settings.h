// The gentle backend's settings: its object in the claude-jobs config file, e.g.
//   "backends": { "gentle": { "plugin": "gentle", "niceness": 15, "ioClass": "idle",
//                             "memoryMB": 8192, "cpuSeconds": 7200, "openFiles": 4096 } }
#pragma once

#include <cstdint>
#include <string>

namespace gentle {

enum class IoClass { Idle, BestEffort };

struct Settings {
    int niceness = 10;                // 0-19, the job's niceness; never below the server's
    IoClass ioClass = IoClass::Idle;  // "idle": disk time only when nobody else wants it
    int ioLevel = 7;                  // 0-7 within best-effort (7 is lowest)
    std::uint64_t memoryMB = 0;       // RLIMIT_AS per process; 0 = unlimited
    std::uint64_t cpuSeconds = 0;     // RLIMIT_CPU per process; 0 = unlimited
    std::uint64_t openFiles = 0;      // RLIMIT_NOFILE; 0 = inherited
};

// Reads the settings from configJson; false with a message naming the key otherwise.
// Unknown keys are refused, so a typo never passes silently.
bool parse_settings(const std::string& configJson, Settings& out, std::string& error);

}  // namespace gentle

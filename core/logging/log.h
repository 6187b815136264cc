// Server logging: spdlog to stderr (never stdout, which carries only protocol messages),
// optionally also to a file.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

namespace cj::logging {

// Sets up the default logger. level: trace, debug, info, warn, error, off.
// Returns false (and keeps "info") for an unknown level name.
bool init(const std::string& level, const std::string& file = "");

}  // namespace cj::logging

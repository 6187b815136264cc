// Parsing the gentle backend's settings (see settings.h).
#include "settings.h"

#include <limits>

#include <nlohmann/json.hpp>

namespace gentle {

namespace {

using nlohmann::json;

constexpr int kMaxNiceness = 19;
constexpr int kMaxIoLevel = 7;
constexpr std::uint64_t kMaxLimit = std::numeric_limits<std::uint32_t>::max();
const char kKnownKeys[] = "niceness, ioClass, ioLevel, memoryMB, cpuSeconds, openFiles";

bool read_int(const json& value, const std::string& key, std::int64_t min, std::int64_t max,
              std::int64_t& out, std::string& error) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < min ||
        value.get<std::int64_t>() > max) {
        error = key + ": expected an integer from " + std::to_string(min) + " to " +
                std::to_string(max) + ", got " + value.dump();
        return false;
    }
    out = value.get<std::int64_t>();
    return true;
}

}  // namespace

bool parse_settings(const std::string& configJson, Settings& out, std::string& error) {
    json config = configJson.empty() ? json::object() : json::parse(configJson, nullptr, false);
    if (config.is_discarded() || !config.is_object()) {
        error = "gentle settings must be a JSON object";
        return false;
    }
    Settings settings;
    for (const auto& [key, value] : config.items()) {
        std::int64_t number = 0;
        if (key == "niceness") {
            if (!read_int(value, key, 0, kMaxNiceness, number, error)) return false;
            settings.niceness = static_cast<int>(number);
        } else if (key == "ioClass") {
            if (value == "idle") {
                settings.ioClass = IoClass::Idle;
            } else if (value == "best-effort") {
                settings.ioClass = IoClass::BestEffort;
            } else {
                error = "ioClass: expected \"idle\" or \"best-effort\", got " + value.dump();
                return false;
            }
        } else if (key == "ioLevel") {
            if (!read_int(value, key, 0, kMaxIoLevel, number, error)) return false;
            settings.ioLevel = static_cast<int>(number);
        } else if (key == "memoryMB" || key == "cpuSeconds" || key == "openFiles") {
            if (!read_int(value, key, 0, kMaxLimit, number, error)) return false;
            auto limit = static_cast<std::uint64_t>(number);
            if (key == "memoryMB") settings.memoryMB = limit;
            if (key == "cpuSeconds") settings.cpuSeconds = limit;
            if (key == "openFiles") settings.openFiles = limit;
        } else {
            error = "unknown key \"" + key + "\" (known: " + kKnownKeys + ")";
            return false;
        }
    }
    if (settings.openFiles != 0 && settings.openFiles < 64) {
        error = "openFiles: " + std::to_string(settings.openFiles) +
                " is too few for claude and its supervisor (at least 64, or 0 for no limit)";
        return false;
    }
    out = settings;
    return true;
}

}  // namespace gentle

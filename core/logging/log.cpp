#include "core/logging/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace cj::logging {

bool init(const std::string& level, const std::string& file) {
    std::vector<spdlog::sink_ptr> sinks;
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    if (!file.empty()) {
        try {
            sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
        } catch (const spdlog::spdlog_ex& e) {
            fprintf(stderr, "claude-jobs: cannot open log file %s: %s\n", file.c_str(), e.what());
        }
    }
    auto logger = std::make_shared<spdlog::logger>("claude-jobs", sinks.begin(), sinks.end());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    auto parsed = spdlog::level::from_str(level);
    bool known = parsed != spdlog::level::off || level == "off";
    logger->set_level(known ? parsed : spdlog::level::info);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return known;
}

}  // namespace cj::logging

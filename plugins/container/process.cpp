// Runtime commands on the process seam (see process.h).
#include "process.h"

#include <cstdlib>

namespace cj::container {

namespace {

constexpr std::size_t kMaxCapturedBytes = 4 * 1024 * 1024;

}  // namespace

CommandOutput run_captured(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
    cj::plugin_common::CommandOptions options;
    options.timeout = timeout;
    options.maxCapture = kMaxCapturedBytes;
    return cj::plugin_common::run_captured(argv, options);
}

bool BackgroundCommands::start(const std::vector<std::string>& argv) {
    // Its own session: no terminal signal sent to the server's group reaches the cleanup.
    pid_t pid = cj::plugin_common::spawn_detached(argv);
    if (pid < 0) return false;
    reaper_.adopt(pid);
    return true;
}

bool BackgroundCommands::wait_idle(std::chrono::milliseconds timeout) {
    return reaper_.wait_idle(timeout);
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    return cj::plugin_common::find_program(name, path ? path : "/usr/local/bin:/usr/bin:/bin");
}

}  // namespace cj::container

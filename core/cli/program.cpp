// Running another program from the command line (see program.h), on the process seam the
// backends use (plugins/common: spawn.h, command.h).
#include "core/cli/program.h"

#include <cstdlib>
#include <cstring>

#include "common/command.h"
#include "common/spawn.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

namespace {
constexpr std::size_t kMaxOutput = 64 << 10;
}  // namespace

std::string find_program(const std::string& name, const std::string& path) {
    return cj::plugin_common::find_program(name, path);
}

claude_jobs::Result<ProgramResult> run_program(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds limit) {
    if (argv.empty()) return make_error(ErrorCode::InvalidArgument, "no program");
    const char* pathEnv = std::getenv("PATH");
    std::string program = find_program(argv[0], pathEnv ? pathEnv : "/usr/bin:/bin");
    if (program.empty()) return make_error(ErrorCode::NotFound, argv[0] + ": not found");
    std::vector<std::string> resolved = argv;
    resolved[0] = program;
    cj::plugin_common::CommandOptions options;
    options.timeout = limit;
    options.mergeStderr = true;  // what a person would have seen, in order
    options.maxCapture = kMaxOutput;
    auto ran = cj::plugin_common::run_captured(resolved, options);
    if (!ran.started)
        return make_error(ErrorCode::Unavailable, program + ": " + std::strerror(ran.spawnError),
                          ran.spawnError);
    ProgramResult result;
    result.exitCode = ran.exitCode;
    result.timedOut = ran.timedOut;
    result.output = std::move(ran.out);
    return result;
}

}  // namespace cj::cli

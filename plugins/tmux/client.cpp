// tmux clients (see client.h).
#include "client.h"

#include <cstring>

#include "common/spawn.h"

extern char** environ;

namespace cj::tmux {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

claude_jobs::Result<CommandOutput> run_client(const std::vector<std::string>& argv,
                                              const std::optional<std::vector<std::string>>& env,
                                              const std::string& input,
                                              std::chrono::milliseconds limit) {
    if (argv.empty()) return make_error(ErrorCode::Internal, "no command to run");
    cj::plugin_common::CommandOptions options;
    options.timeout = limit;
    options.input = input;
    options.env = env;
    options.workDir = std::string("/");  // not a literal assigned in place: GCC 12 -Wrestrict
    options.newSession = true;
    auto ran = cj::plugin_common::run_captured(argv, options);
    if (!ran.started)
        return make_error(ErrorCode::Unavailable,
                          "cannot run " + argv[0] + ": " + std::strerror(ran.spawnError),
                          ran.spawnError);
    if (ran.timedOut)
        return make_error(ErrorCode::Internal, argv[0] + " did not answer within " +
                                                   std::to_string(limit.count()) + " ms");
    return ran;
}

std::vector<std::string> client_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("TMUX=", 0) == 0 || entry.rfind("TMUX_PANE=", 0) == 0) continue;
        env.push_back(std::move(entry));
    }
    return env;
}

std::string find_program(const std::string& name, const std::vector<std::string>& env) {
    return cj::plugin_common::find_program(
        name, cj::plugin_common::path_in(env, "/usr/local/bin:/usr/bin:/bin"));
}

}  // namespace cj::tmux

// claude-jobs: with no subcommand, the MCP server on stdio; --selftest and --version for people.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "core/app/app.h"
#include "core/app/selftest.h"
#include "core/config/config.h"
#include "core/logging/log.h"
#include "core/protocol/mcp_server.h"

namespace {

constexpr const char* kUsage =
    "usage: claude-jobs [--config FILE] [--log-level LEVEL] [--log-file FILE]\n"
    "       claude-jobs --selftest [--config FILE]\n"
    "       claude-jobs --version | --help\n"
    "\n"
    "With no subcommand, serves MCP on stdin/stdout (register it with your MCP client).\n"
    "  --config FILE     config file (else $CLAUDE_JOBS_CONFIG, else\n"
    "                    $XDG_CONFIG_HOME/claude-jobs/config.json, else built-in defaults)\n"
    "  --log-level L     trace, debug, info, warn, error, off (logs go to stderr)\n"
    "  --log-file FILE   also write the log to FILE\n"
    "  --selftest        run a job through the real supervisor and backend, without a model\n";

constexpr const char* kInstructions =
    "Runs Claude Code jobs in the background. claude_start returns a jobId at once; then use "
    "claude_wait (blocks up to 50 s, call again to keep waiting) or claude_check to follow it, "
    "claude_cancel to stop it, claude_jobs to list jobs, and resumeJobId on claude_start to "
    "continue a finished job's conversation.";

struct Options {
    std::optional<std::string> config;
    std::string logLevel;
    std::string logFile;
    bool selftest = false;
};

// Keeps the protocol on private descriptors and points fds 0 and 1 elsewhere, so nothing a
// library or a child process writes can reach the client's pipe.
bool isolate_stdio(int& in, int& out) {
    in = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
    out = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || out < 0) return false;
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(2, 1) < 0) return false;
    ::close(devnull);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (cj::app::is_selftest_child()) return cj::app::run_selftest_child();

    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "claude-jobs: %s needs a value\n%s", name, kUsage);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (arg == "--version") {
            std::printf("claude-jobs %s\n", CLAUDE_JOBS_VERSION);
            return 0;
        } else if (arg == "--config") {
            options.config = value("--config");
        } else if (arg.rfind("--config=", 0) == 0) {
            options.config = arg.substr(9);
        } else if (arg == "--log-level") {
            options.logLevel = value("--log-level");
        } else if (arg == "--log-file") {
            options.logFile = value("--log-file");
        } else if (arg == "--selftest" || arg == "selftest") {
            options.selftest = true;
        } else {
            std::fprintf(stderr, "claude-jobs: unknown argument \"%s\"\n%s", arg.c_str(), kUsage);
            return 2;
        }
    }
    if (options.selftest) {
        cj::logging::init(options.logLevel.empty() ? "warn" : options.logLevel);
        return cj::app::run_selftest(options.config);
    }

    int proto_in = -1, proto_out = -1;
    if (!isolate_stdio(proto_in, proto_out)) {
        std::fprintf(stderr, "claude-jobs: cannot set up stdio: %s\n", std::strerror(errno));
        return 1;
    }
    cj::logging::init(options.logLevel.empty() ? "info" : options.logLevel, options.logFile);
    auto config = cj::config::load(options.config, cj::config::current_environment());
    if (!config) {
        spdlog::critical("config: {}", config.error().message);
        return 2;
    }
    if (options.logLevel.empty() && !cj::logging::init(config->logLevel, options.logFile.empty() ? config->logFile : options.logFile))
        spdlog::warn("unknown logLevel \"{}\"", config->logLevel);

    auto app = cj::app::App::create(*config, cj::app::Layout::discover());
    if (!app) {
        spdlog::critical("cannot start: {}", app.error().message);
        return 1;
    }
    for (const auto& warning : (*app)->service().setup_warnings()) spdlog::warn("{}", warning);
    (*app)->start_housekeeping();
    cj::protocol::ServerOptions server_options;
    server_options.version = CLAUDE_JOBS_VERSION;
    server_options.instructions = kInstructions;
    server_options.maxMessageBytes = config->limits.maxMessageBytes;
    cj::protocol::McpServer server((*app)->tools(), server_options);
    spdlog::info("claude-jobs {} serving on stdio; state dir {}", CLAUDE_JOBS_VERSION,
                 config->stateDir);
    int rc = server.serve(proto_in, proto_out);
    (*app)->stop_housekeeping();
    spdlog::info("stdin closed; exiting (jobs keep running)");
    return rc;
}

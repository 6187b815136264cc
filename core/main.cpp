// claude-jobs: with no subcommand, the MCP server on stdio; subcommands for people (core/cli/).
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "core/app/app.h"
#include "core/app/selftest.h"
#include "core/cli/cli.h"
#include "core/config/config.h"
#include "core/jobs/channel_notifier.h"
#include "core/logging/log.h"
#include "core/protocol/mcp_server.h"
#include "core/tools/job_resources.h"
#include "core/tools/job_tasks.h"

namespace {

constexpr const char* kInstructions =
    "Runs Claude Code jobs in the background. claude_start returns a jobId at once; then use "
    "claude_wait (blocks up to 50 s, call again to keep waiting) or claude_check to follow it, "
    "claude_cancel to stop it, claude_jobs to list jobs, and resumeJobId on claude_start to "
    "continue a finished job's conversation.";

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

// Not dumpable: no other process of this user can open our descriptors through
// /proc/<pid>/fd (a job could otherwise write replies into the client's pipe), read our
// memory or attach a debugger. Root still can (docs/security.md).
// Returns 0, or the errno of the failure.
int make_undumpable() {
    return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
}

}  // namespace

int main(int argc, char** argv) {
    if (cj::app::is_selftest_child()) return cj::app::run_selftest_child();

    auto parsed = cj::cli::run(argc, argv);
    if (!parsed.serve) return parsed.exitCode;
    const cj::cli::GlobalOptions& options = parsed.global;

    int proto_in = -1, proto_out = -1;
    int undumpable_error = make_undumpable();
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
    if (undumpable_error != 0)
        spdlog::warn("cannot make the server non-dumpable: {} (a job running as this user could "
                     "write into the client's pipe through /proc)",
                     std::strerror(undumpable_error));

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
    server_options.discover = config->protocol.discover;
    if (config->notify.channel) server_options.experimental = {{"claude/channel", nlohmann::json::object()}};
    auto& service = (*app)->service();
    cj::protocol::McpServer server((*app)->tools(), server_options,
                                   cj::tools::make_job_resources(service),
                                   cj::tools::make_job_tasks(service));
    // A job's state changed: its resources did (the client is told of those it subscribed to).
    int resourceFollower = service.transitions().subscribe([&server](const cj::jobs::Transition& t) {
        for (const auto& uri : cj::tools::job_resource_uris(t.jobId)) server.resource_updated(uri);
    });
    std::unique_ptr<cj::jobs::ChannelNotifier> channel;
    if (config->notify.channel)
        channel = std::make_unique<cj::jobs::ChannelNotifier>(
            (*app)->service(), [&server](const std::string& method, const nlohmann::json& params) {
                return server.notify(method, params);
            });
    spdlog::info("claude-jobs {} serving on stdio; state dir {}", CLAUDE_JOBS_VERSION,
                 config->stateDir);
    int rc = server.serve(proto_in, proto_out);
    service.transitions().unsubscribe(resourceFollower);
    channel.reset();
    (*app)->stop_housekeeping();
    spdlog::info("stdin closed; exiting (jobs keep running)");
    return rc;
}

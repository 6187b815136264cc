// What every subcommand shares: the global options, the job service of a short-lived
// process (the same App the MCP server assembles, without its housekeeping thread or stdio
// handling), the tools called in-process, and how results and errors are printed.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/app/app.h"
#include "core/tools/request_context.h"
#include "core/tools/tool.h"

namespace cj::cli {

// Exit statuses shared by the subcommands (docs/cli.md).
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;    // the operation failed, or (wait) a job did not complete
constexpr int kExitUsage = 2;     // bad command line or argument value
constexpr int kExitTimedOut = 3;  // wait --timeout passed with jobs still running
constexpr int kExitInterrupted = 130;

struct GlobalOptions {
    std::optional<std::string> config;
    std::string logLevel;
    std::string logFile;
};

// Prints "claude-jobs: <message>" on stderr; returns status.
int report_error(const std::string& message, int status = kExitFailed);
// For a Result error: InvalidArgument is a usage error (2), anything else 1.
int report_error(const claude_jobs::Error& error);

// Whether stdout is a terminal that takes colour (not when NO_COLOR is set or TERM=dumb).
bool colour_stdout();
bool stderr_is_terminal();

class Session {
  public:
    // Loads the config and assembles the App. The log goes to stderr at "error" unless
    // --log-level says otherwise.
    static claude_jobs::Result<std::unique_ptr<Session>> open(const GlobalOptions& options);

    jobs::JobService& service() { return app_->service(); }
    app::App& app() { return *app_; }
    const config::Config& config() const { return config_; }

    // Calls one of the MCP tools in this process (the same code the server runs); the
    // result is the tool's structured content, or its error as a Result error.
    claude_jobs::Result<nlohmann::json> call(const std::string& tool, const nlohmann::json& args,
                                             util::CancelToken* cancel = nullptr);

  private:
    config::Config config_;
    std::unique_ptr<app::App> app_;
    std::vector<tools::Tool> tools_;
};

// SIGINT/SIGTERM fire a cancel token (for wait and follow loops) instead of killing the
// process mid-transaction. Restores the previous handlers when destroyed.
class InterruptToken {
  public:
    InterruptToken();
    ~InterruptToken();
    util::CancelToken& token() { return *token_; }
    bool interrupted() const;

  private:
    std::shared_ptr<util::CancelToken> token_ = std::make_shared<util::CancelToken>();
    std::atomic<bool> stop_{false};
    std::thread watcher_;
};

// Milliseconds since the epoch from the job view's ISO 8601 UTC time; 0 when unreadable.
long long parse_iso8601_ms(const std::string& text);

}  // namespace cj::cli

#include "core/cli/session.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/logging/log.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {

volatile sig_atomic_t gInterrupted = 0;
struct sigaction gOldInt, gOldTerm;

void on_interrupt(int) {
    gInterrupted = 1;
}

ErrorCode code_from_name(const std::string& name) {
    if (name == "not_found") return ErrorCode::NotFound;
    if (name == "invalid_argument") return ErrorCode::InvalidArgument;
    if (name == "already_exists") return ErrorCode::AlreadyExists;
    if (name == "unavailable") return ErrorCode::Unavailable;
    if (name == "limit_reached") return ErrorCode::LimitReached;
    if (name == "permission_denied") return ErrorCode::PermissionDenied;
    return ErrorCode::Internal;
}

}  // namespace

int report_error(const std::string& message, int status) {
    std::fprintf(stderr, "claude-jobs: %s\n", message.c_str());
    return status;
}

int report_error(const claude_jobs::Error& error) {
    return report_error(error.message,
                        error.code == ErrorCode::InvalidArgument ? kExitUsage : kExitFailed);
}

bool colour_stdout() {
    if (!::isatty(1)) return false;
    if (std::getenv("NO_COLOR")) return false;
    const char* term = std::getenv("TERM");
    return !(term && std::strcmp(term, "dumb") == 0);
}

bool stderr_is_terminal() {
    return ::isatty(2);
}

Result<std::unique_ptr<Session>> Session::open(const GlobalOptions& options) {
    cj::logging::init(options.logLevel.empty() ? "error" : options.logLevel, options.logFile);
    auto config = config::load(options.config, config::current_environment());
    if (!config)
        return make_error(
            ErrorCode::Unavailable,
            "config: " + config.error().message + " (claude-jobs doctor checks the whole setup)");
    std::unique_ptr<Session> session(new Session());
    session->config_ = *config;
    auto app = app::App::create(*config, app::Layout::discover());
    if (!app) return make_error(ErrorCode::Unavailable, "cannot start: " + app.error().message);
    session->app_ = std::move(*app);
    session->tools_ = session->app_->tools();
    return session;
}

Result<json> Session::call(const std::string& name, const json& args,
                           util::CancelToken* cancel) {
    for (auto& tool : tools_) {
        if (tool.name != name) continue;
        tools::RequestContext ctx;
        std::atomic<bool> done{false};
        std::thread relay;  // the tool waits on its context's token: forward ours to it
        if (cancel) {
            relay = std::thread([&, inner = ctx.cancel] {
                while (!done && !cancel->wait_for(std::chrono::milliseconds(50))) {
                }
                if (!done) inner->cancel();
            });
        }
        auto result = tool.call(args, ctx);
        done = true;
        if (relay.joinable()) relay.join();
        if (result.isError)
            return make_error(code_from_name(result.structured["error"].value("code", "")),
                              result.structured["error"].value("message", "failed"));
        return result.structured;
    }
    return make_error(ErrorCode::Internal, "no tool " + name);
}

InterruptToken::InterruptToken() {
    gInterrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &gOldInt);
    ::sigaction(SIGTERM, &sa, &gOldTerm);
    // A signal handler may only set a flag; this thread turns it into the token.
    watcher_ = std::thread([this] {
        while (!stop_) {
            if (gInterrupted) {
                token_->cancel();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

InterruptToken::~InterruptToken() {
    stop_ = true;
    if (watcher_.joinable()) watcher_.join();
    ::sigaction(SIGINT, &gOldInt, nullptr);
    ::sigaction(SIGTERM, &gOldTerm, nullptr);
}

bool InterruptToken::interrupted() const {
    return gInterrupted != 0;
}

long long parse_iso8601_ms(const std::string& text) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<long long>(::timegm(&tm)) * 1000 + ms;
}

}  // namespace cj::cli

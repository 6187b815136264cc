// The subcommands for people: each takes the global options and its own, already parsed
// by cli.cpp, and returns the process's exit status (session.h lists them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/session.h"
#include "core/jobs/start_request.h"

namespace cj::cli {

struct ListOptions {
    std::vector<std::string> statuses;
    std::string label;
    std::string owner = "all";  // all | mine (this Claude Code session's jobs)
    int limit = 50;
    bool json = false;
};
int run_ls(const GlobalOptions& global, const ListOptions& options);

struct ShowOptions {
    std::string jobId;
    std::size_t tailBytes = 4000;
    bool json = false;
};
int run_show(const GlobalOptions& global, const ShowOptions& options);

struct LogsOptions {
    std::string jobId;
    bool follow = false;
    bool raw = false;
    bool stderrLog = false;
};
int run_logs(const GlobalOptions& global, const LogsOptions& options);
int run_attach(const GlobalOptions& global, const std::string& jobId);

struct StartOptions {
    std::vector<std::string> promptWords;
    std::string promptFile;
    jobs::StartRequest request;  // the options of claude_start; the prompt is read at run time
    bool json = false;
};
int run_start(const GlobalOptions& global, const StartOptions& options);

struct WaitOptions {
    std::vector<std::string> jobIds;
    bool any = false;
    double timeoutSec = 0;  // 0 = no limit
    bool json = false;
};
int run_wait(const GlobalOptions& global, const WaitOptions& options);

struct CancelOptions {
    std::string jobId;
    int graceSec = 10;
    bool json = false;
};
int run_cancel(const GlobalOptions& global, const CancelOptions& options);

struct ApplyOptions {
    std::string jobId;
    bool check = false;
    bool merge = false;
    bool json = false;
};
int run_apply(const GlobalOptions& global, const ApplyOptions& options);
int run_discard(const GlobalOptions& global, const ApplyOptions& options);
struct EventsOptions {
    bool follow = false;
    std::string owner = "all";  // all | mine | a host session id
    std::string jobId;          // "" = every job
    bool json = false;
    // Only ends the owner session was not yet told of and did not read, each claimed (told)
    // once — shared with hook-wait, so a session with both is woken once per end.
    bool untold = false;
};
int run_events(const GlobalOptions& global, const EventsOptions& options);

struct HookWaitOptions {
    double maxWaitSec = 3000;  // then exit 0: under the hook's timeout in the settings
};
int run_hook_wait(const GlobalOptions& global, const HookWaitOptions& options);

int run_gc(const GlobalOptions& global, bool json);

struct UsageOptions {
    std::string since;  // "" = all; a day (2026-12-05, UTC) or an age (90m, 24h, 7d)
    std::string by;     // "" = totals only; day, label, backend, owner, model
    bool json = false;
};
int run_usage(const GlobalOptions& global, const UsageOptions& options);
// --since as ms since epoch (0 for ""), nullopt when it is neither form.
std::optional<std::int64_t> parse_since(const std::string& text, std::int64_t nowMs);
int run_backends(const GlobalOptions& global, bool json);
int run_doctor(const GlobalOptions& global, bool json);

struct RegisterOptions {
    std::string client;          // claude-code | claude-desktop
    std::string scope = "user";  // claude-code: user | project
    std::string name = "claude-jobs";
    std::string configFile;  // write this file instead of the client's own
    bool dryRun = false;
    bool hooks = false;  // claude-code: also the Stop hook that wakes an idle session
};
int run_register(const GlobalOptions& global, const RegisterOptions& options);

}  // namespace cj::cli

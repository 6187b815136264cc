#include "core/cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "core/app/selftest.h"
#include "core/cli/commands.h"
#include "core/jobs/ledger.h"
#include "core/logging/log.h"
#include "core/util/similar.h"

namespace cj::cli {

namespace {

constexpr const char* kDescription =
    "claude-jobs runs Claude Code jobs in the background. With no subcommand it serves MCP on\n"
    "stdin/stdout (register it with your MCP client: claude-jobs register); the subcommands\n"
    "look at and steer the same jobs from a terminal. Exit statuses: 0 ok, 1 failed,\n"
    "2 bad usage; wait: 1 some job did not complete, 3 timed out; hook-wait: 2 a job ended\n"
    "(its summary is on stderr); 130 interrupted.";

// For a person who ran the binary by hand: what they are looking at, and the way out. An MCP
// client starts it with pipes, where nothing is said.
constexpr const char* kServingOnTerminal =
    "claude-jobs: this is an MCP server: it speaks JSON-RPC on stdin/stdout to an MCP client\n"
    "and is started by one (add it to yours with: claude-jobs register --client claude-code).\n"
    "Press Ctrl-D to stop it. For the commands a person runs (ls, start, wait, doctor, ...):\n"
    "claude-jobs --help\n";

const std::vector<std::string>& kStates = jobs::all_state_names();
const std::vector<std::string>& kModes = jobs::permission_modes();

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

// One value per occurrence (so a following positional is not swallowed), commas allowed.
CLI::Option* repeated(CLI::App* app, const std::string& name, std::vector<std::string>& into,
                      const std::string& help) {
    return app->add_option(name, into, help)->allow_extra_args(false)->delimiter(',');
}

// What the command line asked for, once it is parsed: the global options and the
// subcommand to run (none: serve MCP).
struct Chosen {
    GlobalOptions global;
    std::function<int()> action;
};

// The subcommand runs `run` once the whole line has parsed (CLI11 calls back after parsing).
void on_parsed(CLI::App* sub, Chosen& chosen, std::function<int()> run) {
    sub->callback([&chosen, run] { chosen.action = run; });
}

// ls, show, logs, attach: looking at jobs.
void add_viewing(CLI::App& app, Chosen& chosen) {
    // ls
    auto ls = std::make_shared<ListOptions>();
    auto* lsCmd = app.add_subcommand("ls", "list jobs, newest first");
    repeated(lsCmd, "--status,-s", ls->statuses, "only jobs in these states (repeat, or a,b)")
        ->check(CLI::IsMember(kStates));
    lsCmd->add_option("--label,-l", ls->label, "only jobs with this label");
    lsCmd->add_option("--owner", ls->owner, "all, or mine: the jobs this Claude Code session started")
        ->check(CLI::IsMember({"all", "mine"}))
        ->capture_default_str();
    lsCmd->add_option("--limit,-n", ls->limit, "at most N jobs (1-1000)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    lsCmd->add_flag("--json", ls->json, "print the claude_jobs result as JSON");
    on_parsed(lsCmd, chosen, [&global = chosen.global, ls] { return run_ls(global, *ls); });

    // show
    auto show = std::make_shared<ShowOptions>();
    auto* showCmd = app.add_subcommand("show", "a job's status, result, activity and output tail");
    showCmd->add_option("id", show->jobId, "job id")->required();
    showCmd->add_option("--tail", show->tailBytes, "bytes of transcript to show")
        ->check(CLI::Range(0, 1 << 24))
        ->capture_default_str();
    showCmd->add_flag("--json", show->json, "print the job view (claude_check) as JSON");
    on_parsed(showCmd, chosen, [&global = chosen.global, show] { return run_show(global, *show); });

    // logs
    auto logs = std::make_shared<LogsOptions>();
    auto* logsCmd =
        app.add_subcommand("logs", "a job's readable transcript (or raw events, stderr)");
    logsCmd->add_option("id", logs->jobId, "job id")->required();
    logsCmd->add_flag("--follow,-f", logs->follow, "keep printing as the job runs, until it ends");
    auto* rawOpt = logsCmd->add_flag("--raw", logs->raw, "claude's raw stream-json events");
    logsCmd->add_flag("--stderr", logs->stderrLog, "claude's stderr")->excludes(rawOpt);
    on_parsed(logsCmd, chosen, [&global = chosen.global, logs] { return run_logs(global, *logs); });

    // attach
    auto attachId = std::make_shared<std::string>();
    auto* attachCmd = app.add_subcommand(
        "attach", "watch a job: its terminal (tmux) if the backend has one, else follow its log");
    attachCmd->add_option("id", *attachId, "job id")->required();
    on_parsed(attachCmd, chosen,
              [&global = chosen.global, attachId] { return run_attach(global, *attachId); });

    // events
    auto events = std::make_shared<EventsOptions>();
    auto* eventsCmd = app.add_subcommand(
        "events", "state changes of jobs, one line each (id, label, old → new state, reason)");
    eventsCmd->add_flag("--follow,-f", events->follow,
                        "print changes as they happen, from now on, until stopped");
    eventsCmd->add_option("--owner", events->owner,
                          "all, mine (this Claude Code session's jobs) or a session id")
        ->capture_default_str();
    eventsCmd->add_option("--job", events->jobId, "only this job's changes");
    eventsCmd->add_flag("--json", events->json, "one JSON object per line");
    eventsCmd->add_flag("--untold", events->untold,
                        "only ends of the owner's jobs it was not told of nor read, each once "
                        "(shared with hook-wait); needs --owner");
    on_parsed(eventsCmd, chosen,
              [&global = chosen.global, events] { return run_events(global, *events); });
}

// start, wait, cancel: steering jobs.
void add_steering(CLI::App& app, Chosen& chosen) {
    // start
    auto start = std::make_shared<StartOptions>();
    auto* startCmd = app.add_subcommand(
        "start", "start a job (the options of claude_start); prints its id on stdout");
    startCmd->add_option(
        "prompt", start->promptWords,
        "the prompt (words are joined with spaces); else --prompt-file, else stdin");
    startCmd->add_option("--prompt-file,-p", start->promptFile,
                         "read the prompt from FILE (- = stdin)");
    // Values are checked where every start is accepted (jobs::StartAcceptor), not here.
    jobs::StartRequest& r = start->request;
    startCmd->add_option("--work-folder,-C", r.workFolder, "folder the job works in (default: here)");
    startCmd->add_option("--model,-m", r.model, "model name or alias");
    startCmd->add_option("--backend,-b", r.backend, "configured backend (see: backends)");
    startCmd->add_option("--job-id", r.jobId, "id to use instead of a new one");
    startCmd->add_option("--idempotency-key", r.idempotencyKey,
                         "the same key again returns the same job");
    startCmd->add_option("--resume-session", r.resumeSessionId, "session UUID to continue");
    startCmd->add_option("--resume-job", r.resumeJobId, "continue this earlier job's session");
    startCmd->add_flag("--fork-session", r.forkSession, "with a resume: continue in a copy");
    startCmd->add_option("--permission-mode", r.permissionMode,
                         "claude's permission mode: " + join(kModes));
    repeated(startCmd, "--allowed-tools", r.allowedTools, "tools allowed (repeat, or a,b)");
    repeated(startCmd, "--disallowed-tools", r.disallowedTools, "tools refused (repeat, or a,b)");
    startCmd->add_option("--timeout", r.timeoutSec, "time limit in seconds");
    startCmd->add_option("--max-budget-usd", r.maxBudgetUsd, "spending limit in USD");
    startCmd->add_option("--label", r.label, "free text to find the job by");
    startCmd->add_option("--isolation", r.isolation,
                         "where the job works: none, worktree (a git worktree of its own), copy");
    startCmd->add_flag("--include-uncommitted", r.includeUncommitted,
                       "with worktree: carry the folder's uncommitted and untracked changes over");
    startCmd->add_option("--effort", r.options.effort, "claude's effort: low ... max");
    startCmd->add_option("--max-turns", r.options.maxTurns, "stop after N model turns");
    startCmd->add_option("--append-system-prompt", r.options.appendSystemPrompt,
                         "text added to the system prompt (one line)");
    repeated(startCmd, "--add-dir", r.options.addDirs, "another folder the job may use (repeat)");
    startCmd->add_option("--fallback-model", r.options.fallbackModel, "model when the main one is overloaded");
    startCmd->add_option("--strict-mcp-config", r.options.strictMcpConfig,
                         "false: also load the folder's and the user's MCP servers");
    startCmd->add_option("--resume-after-limit", r.resumeAfterLimit,
                         "true: resume the job once a usage limit that stopped it resets");
    startCmd->add_flag("--json", start->json, "print the claude_start result as JSON");
    on_parsed(startCmd, chosen,
              [&global = chosen.global, start] { return run_start(global, *start); });

    // wait
    auto wait = std::make_shared<WaitOptions>();
    auto* waitCmd = app.add_subcommand(
        "wait", "block until the jobs end; exit 0 all completed, 1 some did not, 3 timed out");
    waitCmd->add_option("ids", wait->jobIds, "job ids")->required();
    waitCmd->add_flag("--any", wait->any, "return when any one of them ends (default: all)");
    waitCmd->add_option("--timeout", wait->timeoutSec, "give up after SEC seconds (default: never)")
        ->check(CLI::NonNegativeNumber);
    waitCmd->add_flag("--json", wait->json, "print the ended jobs' views as JSON");
    on_parsed(waitCmd, chosen, [&global = chosen.global, wait] { return run_wait(global, *wait); });

    // cancel
    auto cancel = std::make_shared<CancelOptions>();
    auto* cancelCmd = app.add_subcommand("cancel", "stop a job (its whole process tree)");
    cancelCmd->add_option("id", cancel->jobId, "job id")->required();
    cancelCmd->add_option("--grace", cancel->graceSec, "seconds between SIGTERM and SIGKILL")
        ->check(CLI::Range(0, 300))
        ->capture_default_str();
    cancelCmd->add_flag("--json", cancel->json, "print the job view after the cancel as JSON");
    on_parsed(cancelCmd, chosen,
              [&global = chosen.global, cancel] { return run_cancel(global, *cancel); });
}

// apply, discard: delivering what a job with isolation changed.
void add_delivery(CLI::App& app, Chosen& chosen) {
    auto apply = std::make_shared<ApplyOptions>();
    auto* applyCmd = app.add_subcommand(
        "apply", "apply an ended job's changes to its work folder; exit 1 on a conflict");
    applyCmd->add_option("id", apply->jobId, "job id")->required();
    applyCmd->add_flag("--check", apply->check, "a dry run: say whether it applies, change nothing");
    applyCmd->add_flag("--merge", apply->merge, "merge the job's branch instead of the patch");
    applyCmd->add_flag("--json", apply->json, "print the claude_apply result as JSON");
    on_parsed(applyCmd, chosen, [&global = chosen.global, apply] { return run_apply(global, *apply); });

    auto discard = std::make_shared<ApplyOptions>();
    auto* discardCmd =
        app.add_subcommand("discard", "remove an ended job's worktree and branch (or copy)");
    discardCmd->add_option("id", discard->jobId, "job id")->required();
    discardCmd->add_flag("--json", discard->json, "print the claude_apply result as JSON");
    on_parsed(discardCmd, chosen,
              [&global = chosen.global, discard] { return run_discard(global, *discard); });
}

// gc, backends, doctor, register: housekeeping and setting up.
void add_setup(CLI::App& app, Chosen& chosen) {
    // gc, backends, doctor
    auto gcJson = std::make_shared<bool>(false);
    auto* gcCmd = app.add_subcommand("gc", "remove ended jobs older than retentionDays, now");
    gcCmd->add_flag("--json", *gcJson, "print the result as JSON");
    on_parsed(gcCmd, chosen, [&global = chosen.global, gcJson] { return run_gc(global, *gcJson); });

    auto usage = std::make_shared<UsageOptions>();
    auto* usageCmd = app.add_subcommand("usage", "what jobs cost (the cost ledger), by a grouping");
    usageCmd->add_option("--since", usage->since, "a day (2026-12-05, UTC) or an age (24h, 7d)");
    usageCmd->add_option("--by", usage->by, "group by day, label, backend, owner or model")
        ->check(CLI::IsMember(jobs::usage_groupings()));
    usageCmd->add_flag("--json", usage->json, "print the totals as JSON");
    on_parsed(usageCmd, chosen,
              [&global = chosen.global, usage] { return run_usage(global, *usage); });

    auto backendsJson = std::make_shared<bool>(false);
    auto* backendsCmd =
        app.add_subcommand("backends", "the configured backends and plugin modules");
    backendsCmd->add_flag("--json", *backendsJson, "print the claude_backends result as JSON");
    on_parsed(backendsCmd, chosen, [&global = chosen.global, backendsJson] {
        return run_backends(global, *backendsJson);
    });

    auto doctorJson = std::make_shared<bool>(false);
    auto* doctorCmd = app.add_subcommand(
        "doctor", "check the setup (claude, backends, state dir, config, modules, job index)");
    doctorCmd->add_flag("--json", *doctorJson, "print the checks as JSON");
    on_parsed(doctorCmd, chosen,
              [&global = chosen.global, doctorJson] { return run_doctor(global, *doctorJson); });

    // hook-wait
    auto hookWait = std::make_shared<HookWaitOptions>();
    auto* hookCmd = app.add_subcommand(
        "hook-wait",
        "for Claude Code's Stop hook (asyncRewake): wait for an end of a job of this session; "
        "exit 2 with a summary on stderr, else 0");
    hookCmd->add_option("--max-wait", hookWait->maxWaitSec, "give up after SEC seconds")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
    on_parsed(hookCmd, chosen,
              [&global = chosen.global, hookWait] { return run_hook_wait(global, *hookWait); });

    // register
    auto reg = std::make_shared<RegisterOptions>();
    auto* regCmd =
        app.add_subcommand("register", "add this server to an MCP client's configuration");
    regCmd->add_option("--client", reg->client, "claude-code or claude-desktop")
        ->required()
        ->check(CLI::IsMember({"claude-code", "claude-desktop"}));
    regCmd
        ->add_option("--scope", reg->scope,
                     "claude-code: user (every project) or project (.mcp.json here)")
        ->check(CLI::IsMember({"user", "project"}))
        ->capture_default_str();
    regCmd->add_option("--name", reg->name, "the server's name in the client")
        ->capture_default_str();
    regCmd->add_option("--config-file", reg->configFile,
                       "merge into this file instead of the client's own (no claude mcp add)");
    regCmd->add_flag("--dry-run", reg->dryRun, "say what would change, change nothing");
    regCmd->add_flag("--hooks", reg->hooks,
                     "claude-code: also add the Stop hook that wakes a session when its job ends");
    on_parsed(regCmd, chosen,
              [&global = chosen.global, reg] { return run_register(global, *reg); });
}

// The words CLI11 did not expect, from its message ("...not expected: a b").
std::vector<std::string> unexpected_words(const CLI::ParseError& e) {
    std::string what = e.what();
    std::vector<std::string> words;
    if (what.find("not expected") == std::string::npos) return words;
    std::istringstream in(what.substr(what.rfind(": ") + 2));
    for (std::string w; in >> w;) words.push_back(w.substr(0, w.find('=')));
    return words;
}

// Close words for one the command line did not know: an option of the subcommand (or the
// global ones), else a subcommand.
std::string suggestion_for(const CLI::App& app, const CLI::App* sub, const std::string& word) {
    std::vector<std::string> known;
    if (word.rfind("-", 0) == 0) {
        for (const CLI::App* a : {sub, &app}) {
            if (!a) continue;
            for (const CLI::Option* o : a->get_options()) {
                for (const auto& n : o->get_lnames()) known.push_back("--" + n);
                for (const auto& n : o->get_snames()) known.push_back("-" + n);
            }
        }
    } else if (!sub) {
        for (const CLI::App* s : app.get_subcommands({})) known.push_back(s->get_name());
    }
    return util::did_you_mean(word, known);
}

// A usage error: what is wrong, a close word when there is one, and where the usage is.
int report_usage(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : app.get_subcommands()) sub = s;
    std::string message = e.what();
    std::vector<std::string> words = unexpected_words(e);
    std::reverse(words.begin(), words.end());  // CLI11 lists them last first
    if (!words.empty() && !sub && words[0].rfind("-", 0) != 0) {
        message = "unknown command \"" + words[0] + "\"" + suggestion_for(app, sub, words[0]);
    } else if (!words.empty()) {
        message = "unexpected";
        for (const auto& word : words)
            message += " \"" + word + "\"" + suggestion_for(app, sub, word);
    }
    std::string help = "claude-jobs" + (sub ? " " + sub->get_name() : std::string()) + " --help";
    std::fprintf(stderr, "claude-jobs: %s\n(%s shows the usage)\n", message.c_str(), help.c_str());
    return kExitUsage;
}

}  // namespace

Parsed run(int argc, char** argv) {
    Chosen chosen;
    std::string configPath;
    bool selftestFlag = false;

    CLI::App app(kDescription, "claude-jobs");
    app.set_version_flag("--version", std::string("claude-jobs ") + CLAUDE_JOBS_VERSION);
    app.require_subcommand(0, 1);
    app.fallthrough();  // global options may also follow the subcommand
    auto* configOpt = app.add_option("--config", configPath,
                                     "config file (else $CLAUDE_JOBS_CONFIG, else "
                                     "$XDG_CONFIG_HOME/claude-jobs/config.json, else defaults)");
    app.add_option("--log-level", chosen.global.logLevel,
                   "trace, debug, info, warn, error, off (logs go to stderr)");
    app.add_option("--log-file", chosen.global.logFile, "also write the log to FILE");
    app.add_flag("--selftest", selftestFlag, "same as the selftest subcommand");
    bool plumbingOnly = false;
    app.add_flag("--plumbing-only", plumbingOnly,
                 "with selftest: pass without a usable claude (checks only claude-jobs itself)");
    add_viewing(app, chosen);
    add_steering(app, chosen);
    add_delivery(app, chosen);
    add_setup(app, chosen);
    bool selftestCmd = false;
    auto* selftest = app.add_subcommand(
        "selftest", "run a job through the real supervisor and backend, without a model");
    selftest->callback([&] { selftestCmd = true; });

    Parsed parsed;

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {  // --help, --version
            app.exit(e);
            parsed.exitCode = kExitOk;
        } else {
            parsed.exitCode = report_usage(app, e);
        }
        return parsed;
    }
    if (configOpt->count() > 0) chosen.global.config = configPath;
    parsed.global = chosen.global;
    const GlobalOptions& global = parsed.global;
    if (selftestFlag || selftestCmd) {
        cj::logging::init(global.logLevel.empty() ? "warn" : global.logLevel, global.logFile);
        parsed.exitCode = app::run_selftest(global.config, plumbingOnly);
        return parsed;
    }
    if (!chosen.action) {
        parsed.serve = true;
        if (::isatty(0)) std::fputs(kServingOnTerminal, stderr);
        return parsed;
    }
    try {
        parsed.exitCode = chosen.action();
    } catch (const std::exception& e) {
        parsed.exitCode = report_error(std::string("internal error: ") + e.what());
    }
    return parsed;
}

}  // namespace cj::cli

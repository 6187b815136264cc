// claude_start: record a job, launch it (or queue it), return its id at once.
#include <limits.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>

#include "core/tools/args.h"
#include "core/tools/job_resources.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"
#include "core/util/clock.h"
#include "core/util/shell_words.h"

namespace cj::tools {

using nlohmann::json;

namespace {

// One input: its type (and bounds) with what it does, its default, and an example.
json input(json schema, const std::string& description) {
    schema["description"] = description;
    return schema;
}
constexpr int kMaxStartWaitSec = 45;  // with the start itself, well under 50 s per call

json input_schema() {
    json str = {{"type", "string"}};
    json strs = {{"type", "array"}, {"items", {{"type", "string"}}}};
    return {
        {"type", "object"},
        {"properties",
         {{"prompt", input(str,
                           "The task for Claude Code, as you would type it (required). "
                           "Example: \"Run the tests and fix what fails\".")},
          {"workFolder", input(str,
                               "Absolute path of an existing folder the job works in (default: the "
                               "config's defaultWorkFolder, else the server's folder). Example: "
                               "\"/home/me/project\".")},
          {"model", input(str,
                          "Model name or alias (default: claude's own). Example: "
                          "\"sonnet\".")},
          {"backend", input(str,
                            "Configured backend to run on (default: a route matching the "
                            "work folder, else defaultBackend); see claude_backends. "
                            "Example: \"local\".")},
          {"jobId", input(str,
                          "Id to give the job instead of a new one, matching "
                          "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. Example: \"fix-tests-1\".")},
          {"idempotencyKey",
           input(str,
                 "The same key again returns the same job instead of starting a second "
                 "one (default: none). Example: \"pr-42-review\".")},
          {"resumeSessionId", input(str,
                                    "Claude session UUID to continue (default: a new "
                                    "session). Example: "
                                    "\"0f8fad5b-d9cb-469f-a165-70867728950e\".")},
          {"resumeJobId", input(str,
                                "Continue the session of this earlier job (default: a new "
                                "session). Example: \"j8k2m4\".")},
          {"forkSession",
           input({{"type", "boolean"}, {"default", false}},
                 "With a resume: continue in a new session copied from it (default false).")},
          {"permissionMode",
           input({{"type", "string"}, {"enum", jobs::permission_modes()}},
                 "Claude's permission mode (default: the config's claude.permissionMode). "
                 "Example: \"acceptEdits\".")},
          {"allowedTools", input(strs,
                                 "Tools the job may use without asking, in claude's "
                                 "--allowedTools syntax (default: claude's own). "
                                 "Example: [\"Read\", \"Bash(git diff:*)\"].")},
          {"disallowedTools", input(strs,
                                    "Tools the job may not use (default: none). "
                                    "Example: [\"WebFetch\"].")},
          {"timeoutSec", input({{"type", "integer"}, {"minimum", 1}},
                               "Time limit in seconds, at least 1 (default: the config's "
                               "defaultTimeoutSec). Example: 1800.")},
          {"maxBudgetUsd", input({{"type", "number"}, {"exclusiveMinimum", 0}},
                                 "Spending limit in US dollars, above 0: the job ends "
                                 "budget_exceeded once it has cost this much (default: the "
                                 "config's limits.maxBudgetUsd, else none). Example: 2.5.")},
          {"label", input(str,
                          "Free text to find the job by (default: none). Example: "
                          "\"nightly review\".")},
          {"isolation",
           input({{"type", "string"}, {"enum", {"none", "worktree", "copy"}}},
                 "Where the job works: none (the folder itself), worktree (a git worktree on the "
                 "new branch claude-jobs/<jobId>, for jobs side by side on one repository), copy "
                 "(a copy, for a folder outside git). Default from the config. Example: "
                 "\"worktree\".")},
          {"includeUncommitted",
           input({{"type", "boolean"}, {"default", false}},
                 "With worktree: start from the folder's uncommitted and untracked changes too "
                 "(default false).")},
          {"effort", input({{"type", "string"}, {"enum", jobs::efforts()}},
                           "claude's --effort (default: claude's own). Example: \"high\".")},
          {"maxTurns", input({{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}},
                             "claude's --max-turns, 1 to 10000 (default: no limit). Example: 30.")},
          {"appendSystemPrompt",
           input(str, "claude's --append-system-prompt: one line, not starting with - (default: "
                      "none). Example: \"Answer in French.\"")},
          {"addDirs", input(strs, "claude's --add-dir, once per absolute folder the job may also "
                                  "use (default: none). Example: [\"/srv/data\"].")},
          {"jsonSchema",
           input({{"type", "object"}},
                 "claude's --json-schema: the answer comes back as result.structured (default: "
                 "none). Example: {\"type\": \"object\"}.")},
          {"mcpConfig", input({{"type", "object"}},
                              "claude's --mcp-config, the servers the job may use (default: "
                              "none). Example: {\"mcpServers\": {}}.")},
          {"strictMcpConfig",
           input({{"type", "boolean"}, {"default", true}},
                 "Load only mcpConfig's servers (--strict-mcp-config); false also loads the "
                 "folder's and the user's (default true).")},
          {"settings", input({{"type", "object"}},
                             "claude's --settings (default: none). Example: {\"model\": "
                             "\"sonnet\"}.")},
          {"fallbackModel", input(str, "claude's --fallback-model, used when the main one is "
                                       "overloaded (default: none). Example: \"sonnet\".")},
          {"resumeAfterLimit",
           input({{"type", "boolean"}},
                 "If the job ends rate_limited, resume it (a linked job, same session) once the "
                 "usage limit resets (default: the config's limits.resumeAfterLimit). Example: "
                 "true.")},
          {"waitSec",
           input({{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxStartWaitSec}},
                 "Wait up to this many seconds (at most 45) for the job to end before answering: "
                 "start and result in one call, for short jobs (default 0: answer at once). "
                 "Example: 20.")}}},
        {"required", {"prompt"}},
        {"additionalProperties", false}};
}

// Types only, as for the rest: jobs::check_spec_options checks the values.
void read_spec_options(const Args& a, jobs::SpecOptions& o) {
    o.effort = a.string("effort", SIZE_MAX).value_or("");
    o.maxTurns = a.any_integer("maxTurns");
    o.appendSystemPrompt = a.string("appendSystemPrompt", SIZE_MAX).value_or("");
    o.addDirs = a.string_list("addDirs");
    o.jsonSchema = a.object("jsonSchema");
    o.mcpConfig = a.object("mcpConfig");
    o.strictMcpConfig = a.boolean("strictMcpConfig");
    o.settings = a.object("settings");
    o.fallbackModel = a.string("fallbackModel", SIZE_MAX).value_or("");
}

json output_schema_start() {
    json str = {{"type", "string"}};
    return output_schema({{"type", "object"},
                          {"properties",
                           {{"jobId", str},
                            {"status", {{"type", "string"}, {"enum", jobs::all_state_names()}}},
                            {"backend", str},
                            {"createdAt", str},
                            {"queuePosition", {{"type", "integer"}}},
                            {"existing", {{"type", "boolean"}}},
                            {"attach", str},
                            {"notify",
                             {{"type", "object"},
                              {"properties", {{"command", str}, {"how", str}}}}},
                            {"job", {{"type", "object"}}}}},
                          {"required", {"jobId", "status", "backend", "createdAt"}}});
}


// waitSec: the job's view once it ended within the bound, else the start's reply as it was.
void wait_for_end(jobs::JobService& service, json& out, double seconds, util::CancelToken& cancel) {
    std::string id = out["jobId"];
    auto waited = service.wait({id}, jobs::WaitMode::Any,
                               std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)),
                               cancel, nullptr);
    if (!waited || waited->done.empty()) {
        if (auto now = service.index().get(id); now && *now)
            out["status"] = jobs::state_name((*now)->state);
        return;
    }
    out["status"] = jobs::state_name(waited->done.front().job.state);
    out["job"] = to_json(waited->done.front());
}

// How the model hears of the end with no setup: the Bash tool's run_in_background starts a
// new turn when this command exits, and its output says how the job ended.
json notify_json(const jobs::JobService& service, const std::string& jobId) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string exe = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "claude-jobs";
    // The state dir as this server resolved it (possibly from its environment, which the
    // model's shell does not have); a stateDir in the config file still wins, as it agrees.
    std::string command =
        "CLAUDE_ASYNC_JOB_DIR=" + util::shell_word(service.config().stateDir) + " " +
        util::shell_word(exe);
    if (!service.config().sourcePath.empty())
        command += " --config " + util::shell_word(service.config().sourcePath);
    command += " wait " + jobId;
    return {{"command", command},
            {"how",
             "To be told when the job ends without polling, run this command with the Bash "
             "tool and run_in_background: true; when it exits you get a notification, and its "
             "output (id, state, reason, first lines of the result) is in the file it names."}};
}

}  // namespace

json start_json(const jobs::StartOutcome& started) {
    json out = {{"jobId", started.job.id},
                {"status", jobs::state_name(started.job.state)},
                {"backend", started.job.backend},
                {"createdAt", util::iso8601(started.job.createdAt)}};
    if (started.existing) out["existing"] = true;
    if (started.queuePosition) out["queuePosition"] = *started.queuePosition;
    if (!started.attach.empty()) out["attach"] = started.attach;
    return out;
}

StartArgs read_start_args(const json& args, const tools::RequestContext& ctx) {
    Args a(args,
           {"prompt", "workFolder", "model", "backend", "jobId", "idempotencyKey",
            "resumeSessionId", "resumeJobId", "forkSession", "permissionMode", "allowedTools",
            "disallowedTools", "timeoutSec", "maxBudgetUsd", "label", "isolation",
            "includeUncommitted", "resumeAfterLimit", "effort", "maxTurns", "appendSystemPrompt",
            "addDirs", "jsonSchema", "mcpConfig", "strictMcpConfig", "settings", "fallbackModel",
            "waitSec"});
    // Types only here: every value is checked where the start is accepted
    // (jobs::StartAcceptor), for this tool and the command line alike.
    StartArgs out;
    jobs::StartRequest& r = out.request;
    r.prompt = a.required_string("prompt", SIZE_MAX);
    r.workFolder = a.string("workFolder", SIZE_MAX).value_or("");
    r.model = a.string("model", SIZE_MAX).value_or("");
    r.backend = a.string("backend", SIZE_MAX).value_or("");
    if (auto id = a.string("jobId", SIZE_MAX)) {
        if (id->empty()) throw ArgumentError{"jobId, when given, must not be empty"};
        r.jobId = *id;
    }
    r.idempotencyKey = a.string("idempotencyKey", SIZE_MAX).value_or("");
    r.resumeSessionId = a.string("resumeSessionId", SIZE_MAX).value_or("");
    r.resumeJobId = a.string("resumeJobId", SIZE_MAX).value_or("");
    r.forkSession = a.boolean("forkSession").value_or(false);
    r.permissionMode = a.string("permissionMode", SIZE_MAX);
    r.allowedTools = a.string_list("allowedTools");
    r.disallowedTools = a.string_list("disallowedTools");
    r.timeoutSec = a.any_integer("timeoutSec");
    r.maxBudgetUsd = a.number("maxBudgetUsd", -HUGE_VAL, HUGE_VAL);
    r.label = a.string("label", SIZE_MAX).value_or("");
    r.isolation = a.string("isolation", SIZE_MAX).value_or("");
    r.includeUncommitted = a.boolean("includeUncommitted").value_or(false);
    r.resumeAfterLimit = a.boolean("resumeAfterLimit");
    read_spec_options(a, r.options);
    r.clientName = ctx.clientName;
    out.waitSec = a.number("waitSec", 0, kMaxStartWaitSec).value_or(0);
    return out;
}

claude_jobs::Result<jobs::StartOutcome> start_job(jobs::JobService& service,
                                                  const jobs::StartRequest& request,
                                                  bool waitsForEnd, tools::RequestContext& ctx) {
    // The reply needs the durable row, not the supervisor: when the server writes the reply
    // first (and nothing waits for the job to run), the launch follows it.
    bool launchLater = ctx.replyEarly && !waitsForEnd;
    auto started = service.start(request, launchLater);
    if (started && started->launchPending)
        ctx.afterReply = [&service, outcome = *started] { service.launch_pending(outcome); };
    return started;
}

Tool make_start_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_start";
    tool.title = "Start a Claude Code job";
    tool.description =
        "Start a Claude Code job in the background and return its jobId at once. The job keeps "
        "running after this call; follow it with claude_wait (blocks up to 50 s) or "
        "claude_check, and stop it with claude_cancel. To continue an earlier job's "
        "conversation, pass resumeJobId. With isolation \"worktree\" several jobs work on one "
        "repository side by side; claude_check then reports the job's changes and "
        "claude_apply delivers them. To be told when it ends instead of polling, run the "
        "reply's notify.command with the Bash tool and run_in_background: true. For a short "
        "job, waitSec (up to 45) waits for its end in this same call.";
    tool.inputSchema = input_schema();
    // Not idempotent: each call starts a new job (unless idempotencyKey names an earlier one).
    tool.annotations = annotations(false, false, false);
    tool.annotations["openWorldHint"] = true;  // the job reaches the model and what claude may
    tool.outputSchema = output_schema_start();
    tool.call = [&service](const json& args, tools::RequestContext& ctx) {
        return guarded([&] {
            StartArgs a = read_start_args(args, ctx);
            auto started = start_job(service, a.request, a.waitSec > 0, ctx);
            if (!started) return error_result(started.error());
            json out = start_json(*started);
            out["notify"] = notify_json(service, started->job.id);
            if (a.waitSec > 0 && !jobs::is_terminal(started->job.state))
                wait_for_end(service, out, a.waitSec, *ctx.cancel);
            ToolResult result{std::move(out), false};
            if (auto job = result.structured.find("job"); job != result.structured.end()) {
                result.brief = result.structured;
                result.brief["job"] = view_brief(*job);
            }
            result.links.push_back(job_resource_link(started->job));
            return result;
        });
    };
    return tool;
}

}  // namespace cj::tools

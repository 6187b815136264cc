// claude_start: record a job, launch it (or queue it), return its id at once.
#include <cmath>
#include <cstdint>

#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/util/clock.h"

namespace cj::tools {

using nlohmann::json;

namespace {

json input_schema() {
    json str = {{"type", "string"}};
    json strs = {{"type", "array"}, {"items", {{"type", "string"}}}};
    return {
        {"type", "object"},
        {"properties",
         {{"prompt", {{"type", "string"}, {"description", "The task for Claude Code."}}},
          {"workFolder",
           {{"type", "string"},
            {"description", "Absolute path of an existing folder the job works in."}}},
          {"model", {{"type", "string"}, {"description", "Model name or alias, e.g. sonnet."}}},
          {"backend",
           {{"type", "string"}, {"description", "Configured backend; see claude_backends."}}},
          {"jobId",
           {{"type", "string"},
            {"description", "Optional id to use, ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$."}}},
          {"idempotencyKey",
           {{"type", "string"},
            {"description", "Same key again returns the same job instead of a second run."}}},
          {"resumeSessionId", {{"type", "string"}, {"description", "Session UUID to continue."}}},
          {"resumeJobId",
           {{"type", "string"}, {"description", "Continue the session of this earlier job."}}},
          {"forkSession",
           {{"type", "boolean"},
            {"description", "With a resume: continue in a new session copied from it."}}},
          {"permissionMode", {{"type", "string"}, {"enum", jobs::permission_modes()}}},
          {"allowedTools", strs},
          {"disallowedTools", strs},
          {"timeoutSec", {{"type", "integer"}, {"minimum", 1}}},
          {"maxBudgetUsd",
           {{"type", "number"},
            {"exclusiveMinimum", 0},
            {"description", "Stop the job (budget_exceeded) once it has cost this many US dollars."}}},
          {"effort", {{"type", "string"}, {"enum", jobs::efforts()}, {"description", "--effort"}}},
          {"maxTurns",
           {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"description", "--max-turns"}}},
          {"appendSystemPrompt",
           {{"type", "string"}, {"description", "--append-system-prompt: one line, not starting with -"}}},
          {"addDirs",
           {{"type", "array"},
            {"items", {{"type", "string"}}},
            {"description", "--add-dir, once per absolute folder"}}},
          {"jsonSchema",
           {{"type", "object"},
            {"description", "--json-schema: the answer comes back as result.structured"}}},
          {"mcpConfig",
           {{"type", "object"}, {"description", "--mcp-config: {\"mcpServers\": {...}}"}}},
          {"strictMcpConfig",
           {{"type", "boolean"},
            {"description", "default true: load only mcpConfig's servers (--strict-mcp-config)"}}},
          {"settings", {{"type", "object"}, {"description", "--settings"}}},
          {"fallbackModel", {{"type", "string"}, {"description", "--fallback-model"}}},
          {"resumeAfterLimit",
           {{"type", "boolean"},
            {"description",
             "If the job ends rate_limited, resume it (a linked job, same session) once the "
             "usage limit resets. Default: config limits.resumeAfterLimit."}}},
          {"label", {{"type", "string"}, {"description", "Free text to find the job by."}}}}},
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
                            {"attach", str}}},
                          {"required", {"jobId", "status", "backend", "createdAt"}}});
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

Tool make_start_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_start";
    tool.title = "Start a Claude Code job";
    tool.description =
        "Start a Claude Code job in the background and return its jobId at once. The job keeps "
        "running after this call; follow it with claude_wait (blocks up to 50 s) or "
        "claude_check, and stop it with claude_cancel. To continue an earlier job's "
        "conversation, pass resumeJobId.";
    tool.inputSchema = input_schema();
    tool.outputSchema = output_schema_start();
    tool.call = [&service](const json& args, tools::RequestContext& ctx) {
        return guarded([&] {
            Args a(args,
                   {"prompt", "workFolder", "model", "backend", "jobId", "idempotencyKey",
                    "resumeSessionId", "resumeJobId", "forkSession", "permissionMode",
                    "allowedTools", "disallowedTools", "timeoutSec", "maxBudgetUsd", "label",
                    "resumeAfterLimit", "effort", "maxTurns", "appendSystemPrompt", "addDirs",
                    "jsonSchema", "mcpConfig", "strictMcpConfig", "settings", "fallbackModel"});
            // Types only here: every value is checked where the start is accepted
            // (jobs::StartAcceptor), for this tool and the command line alike.
            jobs::StartRequest r;
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
            r.resumeAfterLimit = a.boolean("resumeAfterLimit");
            read_spec_options(a, r.options);
            r.clientName = ctx.clientName;

            auto started = service.start(r);
            if (!started) return error_result(started.error());
            return ToolResult{start_json(*started), false};
        });
    };
    return tool;
}

}  // namespace cj::tools

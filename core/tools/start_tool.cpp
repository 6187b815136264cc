// claude_start: record a job, launch it (or queue it), return its id at once.
#include <limits.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>

#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"
#include "core/util/clock.h"

namespace cj::tools {

using nlohmann::json;

namespace {

constexpr int kMaxStartWaitSec = 45;  // with the start itself, well under 50 s per call

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
          {"maxBudgetUsd", {{"type", "number"}, {"exclusiveMinimum", 0}}},
          {"label", {{"type", "string"}, {"description", "Free text to find the job by."}}},
          {"waitSec",
           {{"type", "integer"},
            {"minimum", 0},
            {"maximum", kMaxStartWaitSec},
            {"description",
             "Wait up to this many seconds for the job to end before answering (short jobs: "
             "start and result in one call); 0 = answer at once."}}}}},
        {"required", {"prompt"}},
        {"additionalProperties", false}};
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

// The shell words of this binary and its config, for a command the model runs itself.
std::string shell_word(const std::string& word) {
    if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                                                "vwxyz0123456789/._-+=:,@") == std::string::npos)
        return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
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
    std::string command = "CLAUDE_ASYNC_JOB_DIR=" + shell_word(service.config().stateDir) + " " +
                          shell_word(exe);
    if (!service.config().sourcePath.empty())
        command += " --config " + shell_word(service.config().sourcePath);
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

Tool make_start_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_start";
    tool.title = "Start a Claude Code job";
    tool.description =
        "Start a Claude Code job in the background and return its jobId at once. The job keeps "
        "running after this call; follow it with claude_wait (blocks up to 50 s) or "
        "claude_check, and stop it with claude_cancel. To continue an earlier job's "
        "conversation, pass resumeJobId. To be told when it ends instead of polling, run the "
        "reply's notify.command with the Bash tool and run_in_background: true. For a short "
        "job, waitSec (up to 45) waits for its end in this same call.";
    tool.inputSchema = input_schema();
    tool.outputSchema = output_schema_start();
    tool.call = [&service](const json& args, tools::RequestContext& ctx) {
        return guarded([&] {
            Args a(args,
                   {"prompt", "workFolder", "model", "backend", "jobId", "idempotencyKey",
                    "resumeSessionId", "resumeJobId", "forkSession", "permissionMode",
                    "allowedTools", "disallowedTools", "timeoutSec", "maxBudgetUsd", "label",
                    "waitSec"});
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
            r.clientName = ctx.clientName;
            double waitSec = a.number("waitSec", 0, kMaxStartWaitSec).value_or(0);

            auto started = service.start(r);
            if (!started) return error_result(started.error());
            json out = start_json(*started);
            out["notify"] = notify_json(service, started->job.id);
            if (waitSec > 0 && !jobs::is_terminal(started->job.state))
                wait_for_end(service, out, waitSec, *ctx.cancel);
            return ToolResult{std::move(out), false};
        });
    };
    return tool;
}

}  // namespace cj::tools

// claude_wait: block (at most 50 s) until any or all of the named jobs end.
#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"

namespace cj::tools {

using nlohmann::json;

namespace {
constexpr std::int64_t kMaxWaitSec = 50;
constexpr std::int64_t kDefaultWaitSec = 25;
}  // namespace

Tool make_wait_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_wait";
    tool.title = "Wait for jobs";
    tool.description =
        "Wait until any (default) or all of the given jobs have ended, for at most timeoutSec "
        "(default 25, max 50). Returns the ended jobs' views in done, the others' ids in "
        "pending, and timedOut when time ran out first. Call it again to keep waiting.";
    tool.inputSchema = {
        {"type", "object"},
        {"properties",
         {{"jobIds",
           {{"type", "array"},
            {"items", {{"type", "string"}}},
            {"minItems", 1},
            {"maxItems", 50},
            {"description",
             "1 to 50 job ids, as claude_start returned them. Example: [\"j8k2m4\"]."}}},
          {"mode",
           {{"type", "string"},
            {"enum", {"any", "all"}},
            {"default", "any"},
            {"description",
             "\"any\" (default) returns when one of the jobs ends, \"all\" when every one "
             "has."}}},
          {"timeoutSec",
           {{"type", "number"},
            {"minimum", 0},
            {"maximum", kMaxWaitSec},
            {"default", kDefaultWaitSec},
            {"description",
             "Seconds to wait at most, 0-50 (default 25); 0 only looks. Example: 45."}}}}},
        {"required", {"jobIds"}},
        {"additionalProperties", false}};
    tool.annotations = annotations(true, false, true);
    tool.outputSchema =
        output_schema({{"type", "object"},
                       {"properties",
                        {{"done", {{"type", "array"}, {"items", job_view_schema()}}},
                         {"pending", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                         {"timedOut", {{"type", "boolean"}}}}},
                       {"required", {"done", "pending", "timedOut"}}});
    tool.call = [&service](const json& args, tools::RequestContext& ctx) {
        return guarded([&] {
            Args a(args, {"jobIds", "mode", "timeoutSec"});
            auto ids = a.strings("jobIds", 50, 200);
            if (ids.empty()) throw ArgumentError{"jobIds must name 1 to 50 jobs"};
            std::string mode = a.string("mode", 8).value_or("any");
            if (mode != "any" && mode != "all")
                throw ArgumentError{"mode must be \"any\" or \"all\""};
            double seconds = a.number("timeoutSec", 0, kMaxWaitSec).value_or(kDefaultWaitSec);
            auto progress = [&ctx, total = ids.size()](const jobs::WaitOutcome& now) {
                if (!ctx.progressToken) return;
                ctx.notify("notifications/progress",
                           {{"progressToken", *ctx.progressToken},
                            {"progress", total - now.pending.size()},
                            {"total", total},
                            {"message", std::to_string(now.pending.size()) + " of " +
                                            std::to_string(total) + " jobs still running"}});
            };
            auto out =
                service.wait(ids, mode == "all" ? jobs::WaitMode::All : jobs::WaitMode::Any,
                             std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)),
                             *ctx.cancel, progress);
            if (!out) return error_result(out.error());
            json done = json::array(), doneBrief = json::array();
            for (const auto& view : out->done) {
                done.push_back(to_json(view));
                doneBrief.push_back(view_brief(done.back()));
            }
            ToolResult result{
                {{"done", std::move(done)}, {"pending", out->pending}, {"timedOut", out->timedOut}},
                false};
            result.brief = {{"done", std::move(doneBrief)},
                            {"pending", out->pending},
                            {"timedOut", out->timedOut}};
            return result;
        });
    };
    return tool;
}

}  // namespace cj::tools

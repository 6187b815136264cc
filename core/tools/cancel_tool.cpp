// claude_cancel: end a job's whole process tree (or take it off the queue).
#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"

namespace cj::tools {

using nlohmann::json;

Tool make_cancel_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_cancel";
    tool.title = "Cancel a job";
    tool.description =
        "Cancel a job: a queued job leaves the queue; a running one gets SIGTERM across its "
        "whole process group and SIGKILL after graceSec (default 10). Returns the job view "
        "afterwards; a job that already ended is left as it is, and the view says so.";
    tool.inputSchema = {
        {"type", "object"},
        {"properties",
         {{"jobId", job_id_schema()},
          {"graceSec",
           {{"type", "integer"},
            {"minimum", 0},
            {"maximum", 300},
            {"default", 10},
            {"description",
             "Seconds between SIGTERM and SIGKILL, 0-300 (default 10); 0 kills at once. "
             "Example: 30."}}}}},
        {"required", {"jobId"}},
        {"additionalProperties", false}};
    tool.annotations = annotations(false, true, true);
    tool.outputSchema = output_schema(job_view_schema());
    tool.call = [&service](const json& args, tools::RequestContext& ctx) {
        return guarded([&] {
            Args a(args, {"jobId", "graceSec"});
            std::string id = a.required_string("jobId", 200);
            int grace = static_cast<int>(a.integer("graceSec", 0, 300).value_or(10));
            auto view = service.cancel(id, grace, *ctx.cancel);
            if (!view) return error_result(view.error());
            ToolResult result{to_json(*view), false};
            result.brief = view_brief(result.structured);
            return result;
        });
    };
    return tool;
}

}  // namespace cj::tools

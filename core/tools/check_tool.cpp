// claude_check: the job view now, with a readable transcript tail or what is new since a cursor.
#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"

namespace cj::tools {

using nlohmann::json;

namespace {
constexpr std::size_t kAnsweredTailBytes = 1000;
}  // namespace

Tool make_check_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_check";
    tool.title = "Check a job";
    tool.description =
        "Show a job's status, result, live activity and the tail of its readable transcript. "
        "Pass the returned nextOffset back as sinceOffset to read only what is new.";
    tool.inputSchema = {
        {"type", "object"},
        {"properties",
         {{"jobId", job_id_schema()},
          {"tailBytes",
           {{"type", "integer"},
            {"minimum", 0},
            {"maximum", 1000000},
            {"default", 8000},
            {"description",
             "How many bytes of the end of the readable transcript to return, 0-1000000 "
             "(default 8000); 0 returns none. Example: 2000."}}},
          {"sinceOffset",
           {{"type", "integer"},
            {"minimum", 0},
            {"description",
             "Return the transcript from this byte offset on instead of its tail: the "
             "nextOffset of the previous claude_check. Example: 10234."}}}}},
        {"required", {"jobId"}},
        {"additionalProperties", false}};
    tool.annotations = annotations(true, false, true);
    tool.outputSchema = output_schema(job_view_schema());
    tool.call = [&service](const json& args, tools::RequestContext&) {
        return guarded([&] {
            Args a(args, {"jobId", "tailBytes", "sinceOffset"});
            std::string id = a.required_string("jobId", 200);
            jobs::ViewOptions options;
            auto tail = a.integer("tailBytes", 0, 1000000);
            options.tailBytes = static_cast<std::size_t>(tail.value_or(8000));
            // Not asked for a size: an answered job's tail shows what led up to the answer.
            if (!tail) options.answeredTailBytes = kAnsweredTailBytes;
            if (auto since = a.integer("sinceOffset", 0, INT64_MAX,
                                            "a byte offset of 0 or more (a nextOffset)"))
                options.sinceOffset = static_cast<std::uint64_t>(*since);
            auto view = service.check(id, options);
            if (!view) return error_result(view.error());
            ToolResult result{to_json(*view), false};
            result.brief = view_brief(result.structured);
            return result;
        });
    };
    return tool;
}

}  // namespace cj::tools

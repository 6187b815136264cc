// claude_send: type a message into an interactive job (a tmux job in interactive mode).
#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"

namespace cj::tools {

using nlohmann::json;

namespace {
constexpr std::size_t kMaxTextBytes = 256 * 1024;
}  // namespace

Tool make_send_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_send";
    tool.title = "Send a message to an interactive job";
    tool.description =
        "Type text into a running interactive job (a job on a backend in interactive mode, "
        "e.g. tmux with mode \"interactive\"), then Enter: a follow-up message, an answer to "
        "its question, or /exit to end it. Returns the job view; follow it with claude_wait, "
        "which returns when the job waits for input again or ends. Refused for other jobs.";
    tool.inputSchema = {{"type", "object"},
                        {"properties",
                         {{"jobId", job_id_schema()},
                          {"text",
                           {{"type", "string"},
                            {"minLength", 1},
                            {"description",
                             "What to type, then Enter. Newlines and tabs are text; other "
                             "control characters are refused. Example: \"yes, go ahead\"."}}}}},
                        {"required", {"jobId", "text"}},
                        {"additionalProperties", false}};
    tool.annotations = annotations(false, false, false);
    tool.outputSchema = output_schema(job_view_schema());
    tool.call = [&service](const json& args, tools::RequestContext&) {
        return guarded([&] {
            Args a(args, {"jobId", "text"});
            std::string id = a.required_string("jobId", 200);
            std::string text = a.required_string("text", kMaxTextBytes);
            if (text.empty()) throw ArgumentError{"text must not be empty"};
            auto view = service.send(id, text);
            if (!view) return error_result(view.error());
            ToolResult result{to_json(*view), false};
            result.brief = view_brief(result.structured);
            return result;
        });
    };
    return tool;
}

}  // namespace cj::tools

// claude_backends: the configured backends, usable or why not, and every module found.
#include "core/tools/args.h"
#include "core/tools/job_tools.h"

namespace cj::tools {

using nlohmann::json;

Tool make_backends_tool(jobs::JobService& service, std::vector<json> modules) {
    Tool tool;
    tool.name = "claude_backends";
    tool.title = "List backends";
    tool.description =
        "List the configured backends (where jobs can run): whether each is available now or "
        "why not, its capabilities, and which is the default; every plugin module found, "
        "loaded or refused with the reason; and warnings about the setup.";
    tool.inputSchema = {{"type", "object"}, {"properties", json::object()},
                        {"additionalProperties", false}};
    json str = {{"type", "string"}};
    json backend = {{"type", "object"},
                    {"properties",
                     {{"name", str},
                      {"plugin", str},
                      {"default", {{"type", "boolean"}}},
                      {"available", {{"type", "boolean"}}},
                      {"reason", str},
                      {"version", str},
                      {"description", str},
                      {"capabilities", {{"type", "object"}}}}},
                    {"required", {"name", "plugin", "available", "capabilities"}}};
    json module = {{"type", "object"},
                   {"properties",
                    {{"path", str},
                     {"name", str},
                     {"version", str},
                     {"abi", str},
                     {"loaded", {{"type", "boolean"}}},
                     {"error", str}}},
                   {"required", {"path", "loaded"}}};
    tool.outputSchema = output_schema(
        {{"type", "object"},
         {"properties",
          {{"backends", {{"type", "array"}, {"items", backend}}},
           {"modules", {{"type", "array"}, {"items", module}}},
           {"warnings", {{"type", "array"}, {"items", str}}}}},
         {"required", {"backends", "modules"}}});
    tool.call = [&service, modules](const json& args, protocol::RequestContext&) {
        return guarded([&] {
            Args a(args, {});
            return ToolResult{service.backends_report(modules), false};
        });
    };
    return tool;
}

std::vector<Tool> make_job_tools(jobs::JobService& service, std::vector<json> modules) {
    return {make_start_tool(service), make_check_tool(service),  make_wait_tool(service),
            make_cancel_tool(service), make_jobs_tool(service),
            make_backends_tool(service, std::move(modules)), make_send_tool(service)};
}

}  // namespace cj::tools

// claude_backends: the configured backends, usable or why not, and every module found.
#include "core/tools/args.h"
#include "core/tools/job_tools.h"

namespace cj::tools {

using nlohmann::json;

json backends_json(const std::vector<jobs::BackendReport>& backends,
                   const std::vector<std::string>& warnings) {
    json list = json::array();
    for (const auto& b : backends) {
        json j = {{"name", b.name},
                  {"plugin", b.plugin},
                  {"default", b.isDefault},
                  {"available", b.available},
                  {"capabilities",
                   {{"survivesServerRestart", b.capabilities.survivesServerRestart},
                    {"attach", b.capabilities.attach},
                    {"sendInput", b.capabilities.sendInput}}}};
        if (!b.available) j["reason"] = b.reason;
        if (!b.version.empty()) j["version"] = b.version;
        if (!b.description.empty()) j["description"] = b.description;
        list.push_back(std::move(j));
    }
    return {{"backends", std::move(list)}, {"modules", json::array()}, {"warnings", warnings}};
}

Tool make_backends_tool(jobs::JobService& service, std::vector<json> modules,
                        std::vector<json> pluginDirs) {
    Tool tool;
    tool.name = "claude_backends";
    tool.title = "List backends";
    tool.description =
        "List the configured backends (where jobs can run): whether each is available now or "
        "why not, its capabilities, and which is the default; every plugin module found in "
        "every plugin folder, loaded or refused with the reason and the ABI versions; the "
        "plugin folders searched; and warnings about the setup.";
    tool.inputSchema = {
        {"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
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
                     {"hostAbi", str},
                     {"toolchain", str},
                     {"hostToolchain", str},
                     {"loaded", {{"type", "boolean"}}},
                     {"error", str}}},
                   {"required", {"path", "loaded"}}};
    json folder = {{"type", "object"},
                   {"properties",
                    {{"path", str},
                     {"found", {{"type", "boolean"}}},
                     {"modules", {{"type", "integer"}}},
                     {"error", str}}},
                   {"required", {"path", "found"}}};
    tool.annotations = annotations(true, false, true);
    tool.outputSchema = output_schema({{"type", "object"},
                                       {"properties",
                                        {{"backends", {{"type", "array"}, {"items", backend}}},
                                         {"modules", {{"type", "array"}, {"items", module}}},
                                         {"pluginDirs", {{"type", "array"}, {"items", folder}}},
                                         {"warnings", {{"type", "array"}, {"items", str}}}}},
                                       {"required", {"backends", "modules"}}});
    tool.call = [&service, modules, pluginDirs](const json& args, tools::RequestContext&) {
        return guarded([&] {
            Args a(args, {});
            json report = backends_json(service.backends_report(), service.setup_warnings());
            report["modules"] = modules;
            report["pluginDirs"] = pluginDirs;
            return ToolResult{report, false};
        });
    };
    return tool;
}

std::vector<Tool> make_job_tools(jobs::JobService& service, std::vector<json> modules,
                                 std::vector<json> pluginDirs) {
    return {make_start_tool(service),
            make_check_tool(service),
            make_wait_tool(service),
            make_cancel_tool(service),
            make_jobs_tool(service),
            make_backends_tool(service, std::move(modules), std::move(pluginDirs)),
            make_send_tool(service),
            make_apply_tool(service)};
}

}  // namespace cj::tools

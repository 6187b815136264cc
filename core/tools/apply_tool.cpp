// claude_apply: deliver an ended job's changes to its work folder — apply the patch, merge its
// branch, or discard its worktree or copy; a dry run first with check.
#include "core/tools/args.h"
#include "core/tools/job_tools.h"

namespace cj::tools {

using nlohmann::json;

json apply_json(const jobs::ApplyOutcome& outcome) {
    json conflicts = json::array();
    for (const auto& c : outcome.conflicts)
        conflicts.push_back({{"path", c.path}, {"reason", c.reason}});
    json out = {{"applied", outcome.applied},
                {"check", outcome.check},
                {"ok", outcome.conflicts.empty()},
                {"conflicts", conflicts},
                {"message", outcome.message}};
    if (!outcome.command.empty()) out["command"] = outcome.command;
    return out;
}

namespace {

json output_schema_apply() {
    json str = {{"type", "string"}};
    json boolean = {{"type", "boolean"}};
    return output_schema(
        {{"type", "object"},
         {"properties",
          {{"applied", boolean},
           {"check", boolean},
           {"ok", boolean},
           {"conflicts",
            {{"type", "array"},
             {"items",
              {{"type", "object"}, {"properties", {{"path", str}, {"reason", str}}}}}}},
           {"message", str},
           {"command", str},
           {"changes", {{"type", "object"}}}}},
         {"required", {"ok", "message"}}});
}

}  // namespace

Tool make_apply_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_apply";
    tool.title = "Apply, merge or discard a job's changes";
    tool.description =
        "Deliver the changes of an ended job that ran with isolation (see changes in "
        "claude_check) to its work folder: mode \"patch\" applies changes.patch, \"merge\" "
        "merges its branch claude-jobs/<jobId>, \"discard\" removes its worktree or copy (and "
        "branch). check: a dry run that changes nothing. A conflict is reported file by file "
        "and nothing is half-applied.";
    tool.inputSchema = {
        {"type", "object"},
        {"properties",
         {{"jobId", job_id_schema()},
          {"mode", {{"type", "string"}, {"enum", {"patch", "merge", "discard"}},
                    {"default", "patch"},
                    {"description", "patch applies changes.patch, merge merges the job's branch, "
                                    "discard removes its worktree or copy (default patch). "
                                    "Example: \"merge\"."}}},
          {"check", {{"type", "boolean"}, {"default", false},
                     {"description", "A dry run that changes nothing (default false)."}}}}},
        {"required", {"jobId"}},
        {"additionalProperties", false}};
    tool.outputSchema = output_schema_apply();
    tool.annotations = annotations(false, true, false);
    tool.call = [&service](const json& args, tools::RequestContext&) {
        return guarded([&] {
            Args a(args, {"jobId", "mode", "check"});
            std::string id = a.required_string("jobId", 200);
            std::string mode = a.string("mode", 20).value_or("patch");
            bool check = a.boolean("check").value_or(false);
            if (mode == "discard") {
                if (check) throw ArgumentError{"check goes with mode patch or merge"};
                auto gone = service.discard(id);
                if (!gone) return error_result(gone.error());
                return ToolResult{{{"ok", true},
                                   {"applied", false},
                                   {"message", "removed the worktree or copy of job " + id},
                                   {"changes", gone->to_json()}},
                                  false};
            }
            if (mode != "patch" && mode != "merge")
                throw ArgumentError{"mode must be patch, merge or discard"};
            auto out = service.apply(id, mode == "merge" ? jobs::ApplyMode::Merge
                                                         : jobs::ApplyMode::Patch,
                                     check);
            if (!out) return error_result(out.error());
            return ToolResult{apply_json(*out), false};
        });
    };
    return tool;
}

}  // namespace cj::tools

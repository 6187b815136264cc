// claude_jobs: list jobs, newest first, with counts per state and a cursor for more.
#include <map>

#include "core/tools/args.h"
#include "core/tools/job_tools.h"
#include "core/tools/readable.h"
#include "core/tools/usage_json.h"
#include "core/util/clock.h"

namespace cj::tools {

using nlohmann::json;

namespace {

// The cost ledger's totals for the jobs listed (those that have ended).
json listed_usage(jobs::JobService& service, const jobs::JobList& listed) {
    jobs::UsageQuery q;
    q.onlyJobs = true;
    for (const auto& job : listed.jobs) q.jobIds.push_back(job.id);
    auto report = service.usage(q);
    return report ? usage_totals_json(report->total) : json();
}

json list_json(const jobs::JobList& listed, const jobs::JobService& service) {
    json jobs = json::array();
    for (const auto& job : listed.jobs) {
        json item = {{"jobId", job.id},
                     {"status", jobs::state_name(job.state)},
                     {"backend", job.backend},
                     {"promptPreview", job.promptPreview},
                     {"workFolder", job.workFolder},
                     {"createdAt", util::iso8601(job.createdAt)}};
        if (!job.label.empty()) item["label"] = job.label;
        if (job.endedAt) item["endedAt"] = util::iso8601(job.endedAt);
        if (auto changes = service.changes(job.id)) {
            item["changes"] = changes->summary();
            item["unappliedChanges"] = changes->unapplied();
        }
        jobs.push_back(std::move(item));
    }
    json counts = json::object();
    for (const auto& name : jobs::all_state_names()) counts[name] = 0;
    for (const auto& [state, n] : listed.counts) counts[jobs::state_name(state)] = n;
    json out = {{"jobs", std::move(jobs)}, {"counts", std::move(counts)}};
    if (listed.nextBeforeSeq) out["nextCursor"] = std::to_string(listed.nextBeforeSeq);
    return out;
}

// The listing as its brief shows it: how many rows and of which states, the counts that are
// not zero, the cursor and the usage; the rows themselves go once, in structuredContent.
json list_brief(const json& listed) {
    const json& rows = listed["jobs"];
    std::map<std::string, std::size_t> states;
    for (const auto& row : rows) ++states[row["status"].get<std::string>()];
    std::string said = std::to_string(rows.size()) + " listed, newest first";
    std::string sep = ": ";
    for (const auto& [state, n] : states) {
        said += sep + std::to_string(n) + " " + state;
        sep = ", ";
    }
    if (!rows.empty())
        said += " " + left_to_structured(rows.size(), rows.size() == 1 ? "row" : "rows");
    json brief = {{"jobs", said}};
    json counts = json::object();
    for (const auto& [state, n] : listed["counts"].items())
        if (n != 0) counts[state] = n;
    brief["counts"] = std::move(counts);
    for (const char* key : {"nextCursor", "usage"})
        if (auto it = listed.find(key); it != listed.end()) brief[key] = *it;
    return brief;
}

}  // namespace

Tool make_jobs_tool(jobs::JobService& service) {
    Tool tool;
    tool.name = "claude_jobs";
    tool.title = "List jobs";
    tool.description =
        "List jobs, newest first, optionally only those in some states, with a label, or "
        "started by this session (owner: mine). Pass nextCursor back as cursor for the next "
        "page. `usage` totals the cost and tokens of the listed jobs that have ended (the cost "
        "ledger).";
    json states = {{"type", "string"}, {"enum", jobs::all_state_names()}};
    tool.inputSchema = {
        {"type", "object"},
        {"properties",
         {{"status",
           {{"anyOf", {states, {{"type", "array"}, {"items", states}}}},
            {"description",
             "Only jobs in this state, or in any of these states (default: every state). "
             "Example: [\"queued\", \"running\"]."}}},
          {"label",
           {{"type", "string"},
            {"description",
             "Only jobs whose label is exactly this (default: any). Example: \"nightly\"."}}},
          {"owner",
           {{"type", "string"},
            {"enum", {"all", "mine"}},
            {"default", "all"},
            {"description", "mine: only jobs started by this session (this connection, or "
                            "the same Claude Code session); default all. Example: \"mine\"."}}},
          {"limit",
           {{"type", "integer"},
            {"minimum", 1},
            {"maximum", 1000},
            {"default", 50},
            {"description", "At most this many jobs, 1-1000 (default 50). Example: 10."}}},
          {"cursor",
           {{"type", "string"},
            {"description",
             "The nextCursor of the previous page, to list the older jobs after it (default: "
             "start from the newest)."}}}}},
        {"additionalProperties", false}};
    tool.annotations = annotations(true, false, true);
    json str = {{"type", "string"}};
    json item = {{"type", "object"},
                 {"properties",
                  {{"jobId", str},
                   {"status", str},
                   {"backend", str},
                   {"label", str},
                   {"promptPreview", str},
                   {"workFolder", str},
                   {"createdAt", str},
                   {"endedAt", str},
                   {"changes", str},
                   {"unappliedChanges", {{"type", "boolean"}}}}},
                 {"required", {"jobId", "status", "backend", "createdAt"}}};
    tool.outputSchema = output_schema(
        {{"type", "object"},
         {"properties",
          {{"jobs", {{"type", "array"}, {"items", item}}},
           {"counts", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
           {"nextCursor", str},
           {"usage", usage_totals_schema()}}},
         {"required", {"jobs", "counts"}}});
    tool.call = [&service](const json& args, tools::RequestContext&) {
        return guarded([&] {
            Args a(args, {"status", "label", "owner", "limit", "cursor"});
            jobs::ListFilter filter;
            const auto& names = jobs::all_state_names();
            for (const auto& s : a.strings("status", names.size(), 16)) {
                auto state = jobs::parse_state(s);
                if (!state) {
                    std::string known;
                    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
                    throw ArgumentError{"status \"" + s + "\" is not one of " + known};
                }
                filter.states.push_back(*state);
            }
            filter.label = a.string("label", 500).value_or("");
            std::string owner = a.string("owner", 8).value_or("all");
            if (owner != "all" && owner != "mine")
                throw ArgumentError{"owner must be \"all\" or \"mine\""};
            if (owner == "mine") filter.owner = service.self();
            filter.limit = static_cast<int>(a.integer("limit", 1, 1000).value_or(50));
            if (auto cursor = a.string("cursor", 32)) {
                auto before = parse_list_cursor(*cursor);
                if (!before) throw ArgumentError{"cursor is not one this server gave out"};
                filter.beforeSeq = *before;
            }
            auto out = service.list(filter);
            if (!out) return error_result(out.error());
            json listed = list_json(*out, service);
            if (json usage = listed_usage(service, *out); !usage.is_null()) listed["usage"] = usage;
            json brief = list_brief(listed);
            return ToolResult{std::move(listed), false, json::array(), std::move(brief)};
        });
    };
    return tool;
}

}  // namespace cj::tools

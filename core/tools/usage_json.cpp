#include "core/tools/usage_json.h"

namespace cj::tools {

using nlohmann::json;

json usage_totals_json(const jobs::UsageTotals& t) {
    return {{"costUsd", t.costUsd},
            {"inputTokens", t.inputTokens},
            {"outputTokens", t.outputTokens},
            {"cacheReadTokens", t.cacheReadTokens},
            {"cacheWriteTokens", t.cacheWriteTokens},
            {"jobs", t.jobs}};
}

json usage_totals_schema() {
    json integer = {{"type", "integer"}};
    return {{"type", "object"},
            {"properties",
             {{"costUsd", {{"type", "number"}}},
              {"inputTokens", integer},
              {"outputTokens", integer},
              {"cacheReadTokens", integer},
              {"cacheWriteTokens", integer},
              {"jobs", integer}}},
            {"required", {"costUsd", "inputTokens", "outputTokens", "jobs"}}};
}

json usage_report_json(const jobs::UsageReport& report, const std::string& by) {
    json out = {{"total", usage_totals_json(report.total)}};
    if (by.empty()) return out;
    out["by"] = by;
    json groups = json::array();
    for (const auto& g : report.groups) {
        json item = usage_totals_json(g);
        item["key"] = g.key;
        groups.push_back(std::move(item));
    }
    out["groups"] = std::move(groups);
    return out;
}

}  // namespace cj::tools

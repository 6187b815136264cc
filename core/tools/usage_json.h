// Cost-ledger totals as JSON (claude_jobs' `usage`, `claude-jobs usage --json`), and their schema.
#pragma once

#include <nlohmann/json.hpp>

#include "core/jobs/ledger.h"

namespace cj::tools {

nlohmann::json usage_totals_json(const jobs::UsageTotals& t);
nlohmann::json usage_totals_schema();
// {"total": {...}, "by": "day", "groups": [{"key": ..., ...}]}
nlohmann::json usage_report_json(const jobs::UsageReport& report, const std::string& by);

}  // namespace cj::tools

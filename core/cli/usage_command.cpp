// usage: the cost ledger's totals (docs/limits.md), in all or since a time, by a grouping.
#include <cstdio>
#include <ctime>
#include <regex>

#include "core/cli/commands.h"
#include "core/cli/table.h"
#include "core/tools/usage_json.h"
#include "core/util/clock.h"

namespace cj::cli {

using nlohmann::json;

std::optional<std::int64_t> parse_since(const std::string& text, std::int64_t nowMs) {
    if (text.empty()) return 0;
    std::smatch m;
    static const std::regex ago(R"((\d{1,9})([smhd]))");
    if (std::regex_match(text, m, ago)) {
        std::int64_t n = std::stoll(m[1]);
        const std::int64_t unit = m[2] == "s" ? 1 : m[2] == "m" ? 60 : m[2] == "h" ? 3600 : 86400;
        return nowMs - n * unit * 1000;
    }
    static const std::regex day(R"((\d{4})-(\d{2})-(\d{2}))");
    if (std::regex_match(text, m, day)) {
        std::tm tm{};
        tm.tm_year = std::stoi(m[1]) - 1900;
        tm.tm_mon = std::stoi(m[2]) - 1;
        tm.tm_mday = std::stoi(m[3]);
        return static_cast<std::int64_t>(timegm(&tm)) * 1000;
    }
    return std::nullopt;
}

namespace {
std::string money(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
    return buf;
}

std::vector<Cell> row(const std::string& key, const jobs::UsageTotals& t) {
    return {key,
            money(t.costUsd),
            std::to_string(t.inputTokens),
            std::to_string(t.outputTokens),
            std::to_string(t.cacheReadTokens),
            std::to_string(t.cacheWriteTokens),
            std::to_string(t.jobs)};
}
}  // namespace

int run_usage(const GlobalOptions& global, const UsageOptions& options) {
    auto since = parse_since(options.since, util::now_ms());
    if (!since)
        return report_error("--since \"" + options.since +
                            "\" is neither a day (2026-12-05) nor an age (90m, 24h, 7d)");
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    jobs::UsageQuery q;
    q.sinceMs = *since;
    q.by = options.by;
    auto report = (*session)->service().usage(q);
    if (!report) return report_error(report.error().message);
    if (options.json) {
        std::printf("%s\n", tools::usage_report_json(*report, options.by).dump(2).c_str());
        return kExitOk;
    }
    std::string heading = options.by.empty() ? "" : options.by;
    for (auto& c : heading) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Table table({heading.empty() ? "TOTAL" : heading, "COST", "INPUT", "OUTPUT", "CACHE READ",
                 "CACHE WRITE", "JOBS"});
    for (const auto& g : report->groups) table.add(row(g.key.empty() ? "-" : g.key, g));
    if (!options.by.empty())
        table.add(row("total", report->total));
    else
        table.add(row("all", report->total));
    std::string out = table.render(colour_stdout());
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
}

}  // namespace cj::cli

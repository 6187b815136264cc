#include "core/jobs/ledger.h"

#include <chrono>
#include <ctime>

#include "core/jobs/sqlite_db.h"
#include "core/transcript/events.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using sqlite::db_error;
using sqlite::Statement;

namespace {
constexpr int kSettleBatch = 500;
constexpr auto kSettleWait = std::chrono::seconds(5);

struct Ended {
    std::string id;
    std::string result;
    std::int64_t endedAt = 0;
    std::string label;
    std::string backend;
    std::string owner;
};

Result<std::vector<Ended>> unsettled(JobIndex& index) {
    std::vector<Ended> out;
    auto r = index.read_with([&](sqlite3* db) -> Result<void> {
        Statement s(db,
                    "SELECT id, result, ended_at, label, backend, owner_client FROM jobs "
                    "WHERE ledger_settled = 0 AND state NOT IN ('queued', 'running') LIMIT ?");
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, std::int64_t{kSettleBatch});
        int rc;
        while ((rc = s.step()) == SQLITE_ROW)
            out.push_back({s.text(0), s.text(1), s.int64(2), s.text(3), s.text(4), s.text(5)});
        if (rc != SQLITE_DONE) return db_error(db, "read unsettled jobs");
        return {};
    });
    if (!r) return r.error();
    return out;
}

transcript::ModelUsageMap usage_of(const std::string& resultJson) {
    if (resultJson.empty()) return {};
    auto j = util::parse_json_or_discarded(resultJson);
    auto summary = transcript::ResultSummary::from_json(j);
    return summary ? summary->usage : transcript::ModelUsageMap{};
}

Result<void> take_in(sqlite3* db, const Ended& job) {
    Statement mark(db, "UPDATE jobs SET ledger_settled = 1 WHERE id = ? AND ledger_settled = 0");
    mark.bind(1, job.id);
    if (mark.step() != SQLITE_DONE) return db_error(db, "settle a job");
    if (sqlite3_changes(db) == 0) return {};  // another process took it in
    for (const auto& [model, u] : usage_of(job.result)) {
        Statement s(db,
                    "INSERT OR IGNORE INTO costs(job_id, model, cost_usd, input_tokens, "
                    "output_tokens, cache_read_tokens, cache_write_tokens, day, ended_at, label, "
                    "backend, owner) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, job.id).bind(2, model);
        s.bind(4, u.inputTokens).bind(5, u.outputTokens).bind(6, u.cacheReadTokens);
        s.bind(7, u.cacheWriteTokens).bind(8, utc_day(job.endedAt)).bind(9, job.endedAt);
        s.bind(10, job.label).bind(11, job.backend).bind(12, job.owner);
        s.bind_double(3, u.costUsd);
        if (s.step() != SQLITE_DONE) return db_error(db, "record a cost");
    }
    return {};
}

const char* group_column(const std::string& by) {
    if (by == "day") return "day";
    if (by == "label") return "label";
    if (by == "backend") return "backend";
    if (by == "owner") return "owner";
    if (by == "model") return "model";
    return "''";
}

std::string query_sql(const UsageQuery& q) {
    std::string sql = std::string("SELECT ") + group_column(q.by) +
                      ", SUM(cost_usd), SUM(input_tokens), SUM(output_tokens), "
                      "SUM(cache_read_tokens), SUM(cache_write_tokens), COUNT(DISTINCT job_id) "
                      "FROM costs WHERE ended_at >= ?";
    if (q.onlyJobs) {
        sql += " AND job_id IN (";
        for (std::size_t i = 0; i < q.jobIds.size(); ++i) sql += i ? ",?" : "?";
        sql += q.jobIds.empty() ? "NULL)" : ")";
    }
    return sql + " GROUP BY 1 ORDER BY 1";
}

}  // namespace

const std::vector<std::string>& usage_groupings() {
    static const std::vector<std::string> names = {"day", "label", "backend", "owner", "model"};
    return names;
}

std::string utc_day(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::int64_t utc_day_start(std::int64_t ms) {
    constexpr std::int64_t kDayMs = 86400000;
    return ms - ((ms % kDayMs) + kDayMs) % kDayMs;
}

Result<int> Ledger::settle() {
    int taken = 0;
    for (;;) {
        auto batch = unsettled(index_);
        if (!batch) return batch.error();
        if (batch->empty()) return taken;
        auto jobs = std::make_shared<std::vector<Ended>>(std::move(*batch));
        auto written = index_.write_with(
            [jobs](sqlite3* db) -> Result<void> {
                for (const auto& job : *jobs)
                    if (auto r = take_in(db, job); !r) return r;
                return {};
            },
            std::chrono::duration_cast<std::chrono::milliseconds>(kSettleWait));
        if (!written) return written.error();
        taken += static_cast<int>(jobs->size());
        if (static_cast<int>(jobs->size()) < kSettleBatch) return taken;
    }
}

Result<UsageReport> Ledger::report(const UsageQuery& query) {
    if (!query.by.empty() && std::string(group_column(query.by)) == "''")
        return make_error(ErrorCode::InvalidArgument,
                          "usage: unknown grouping \"" + query.by + "\"");
    if (auto settled = settle(); !settled) return settled.error();
    UsageReport out;
    auto r = index_.read_with([&](sqlite3* db) -> Result<void> {
        std::string sql = query_sql(query);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            return db_error(db, "prepare usage");
        sqlite3_bind_int64(stmt, 1, query.sinceMs);
        for (std::size_t i = 0; i < query.jobIds.size(); ++i)
            sqlite3_bind_text(stmt, static_cast<int>(i) + 2, query.jobIds[i].c_str(), -1,
                              SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            UsageTotals t;
            const unsigned char* key = sqlite3_column_text(stmt, 0);
            t.key = key ? reinterpret_cast<const char*>(key) : "";
            t.costUsd = sqlite3_column_double(stmt, 1);
            t.inputTokens = sqlite3_column_int64(stmt, 2);
            t.outputTokens = sqlite3_column_int64(stmt, 3);
            t.cacheReadTokens = sqlite3_column_int64(stmt, 4);
            t.cacheWriteTokens = sqlite3_column_int64(stmt, 5);
            t.jobs = sqlite3_column_int64(stmt, 6);
            out.total.costUsd += t.costUsd;
            out.total.inputTokens += t.inputTokens;
            out.total.outputTokens += t.outputTokens;
            out.total.cacheReadTokens += t.cacheReadTokens;
            out.total.cacheWriteTokens += t.cacheWriteTokens;
            out.total.jobs += t.jobs;  // exact for a grouping that splits no job (not model)
            if (!query.by.empty()) out.groups.push_back(std::move(t));
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) return db_error(db, "read usage");
        return {};
    });
    if (!r) return r.error();
    return out;
}

Result<double> Ledger::spent_since(std::int64_t sinceMs) {
    UsageQuery q;
    q.sinceMs = sinceMs;
    auto r = report(q);
    if (!r) return r.error();
    return r->total.costUsd;
}

}  // namespace cj::jobs

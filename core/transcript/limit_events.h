// What claude's stream-json says about money and limits: usage-limit state
// (`rate_limit_event`), retries (`system/api_retry`) and the cost and tokens per model of a
// `result` event (`modelUsage`, `model_usage_since_last_result`). Shapes: docs/claude-cli-notes.md
// §2–§4; what claude-jobs makes of them: docs/limits.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cj::transcript {

// A usage-limit state as the CLI reports it (subscription auth only).
struct RateLimitInfo {
    std::string status;         // allowed, allowed_warning, rejected
    std::int64_t resetsAt = 0;  // Unix seconds, 0 = not said
    std::string rateLimitType;  // five_hour, seven_day, …
    std::optional<double> utilization;

    nlohmann::json to_json() const;  // resetsAt as ISO-8601 UTC and as Unix seconds
    static std::optional<RateLimitInfo> from_json(const nlohmann::json& j);
};

// The last failed attempt the CLI is about to retry.
struct RetryInfo {
    std::int64_t attempt = 0;
    std::int64_t maxRetries = 0;
    std::int64_t delayMs = 0;
    std::string errorStatus;  // the HTTP status, as text ("529")
    std::string error;        // overloaded, server_error, rate_limit, …

    nlohmann::json to_json() const;
};

// Cost and tokens of one model.
struct ModelUsage {
    double costUsd = 0;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    std::int64_t cacheReadTokens = 0;
    std::int64_t cacheWriteTokens = 0;

    ModelUsage& operator+=(const ModelUsage& other);
};
using ModelUsageMap = std::map<std::string, ModelUsage>;

// `rate_limit_info` of a rate_limit_event, or `api_error_params.rate_limit_info` of the
// synthetic assistant message of a refusal; nullopt when the event has neither.
std::optional<RateLimitInfo> rate_limit_of(const nlohmann::json& event);
// A system/api_retry event; nullopt for any other event.
std::optional<RetryInfo> retry_of(const nlohmann::json& event);

// A modelUsage-shaped object, by model.
ModelUsageMap model_usage_of(const nlohmann::json& usage);
// What a result event adds to this run: its `model_usage_since_last_result` when present, else
// its `modelUsage` (cumulative over the session, also across --resume) minus sessionTotals,
// the modelUsage of the previous result of this run (empty for the first).
ModelUsageMap run_increment(const nlohmann::json& resultEvent, const ModelUsageMap& sessionTotals);

nlohmann::json usage_to_json(const ModelUsageMap& usage);
ModelUsageMap usage_from_json(const nlohmann::json& j);
double total_cost(const ModelUsageMap& usage);

// Unix seconds as "2026-12-05T06:30:00Z".
std::string iso_utc(std::int64_t unixSeconds);

}  // namespace cj::transcript

#include "core/transcript/limit_events.h"

#include <ctime>

namespace cj::transcript {

using nlohmann::json;

namespace {
std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}
std::int64_t int_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}
double num_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}
}  // namespace

std::string iso_utc(std::int64_t unixSeconds) {
    std::time_t t = static_cast<std::time_t>(unixSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

json RateLimitInfo::to_json() const {
    json j = {{"status", status}, {"rateLimitType", rateLimitType}};
    if (resetsAt > 0) {
        j["resetsAt"] = iso_utc(resetsAt);
        j["resetsAtUnix"] = resetsAt;
    }
    if (utilization) j["utilization"] = *utilization;
    return j;
}

std::optional<RateLimitInfo> RateLimitInfo::from_json(const json& j) {
    if (!j.is_object() || !j.contains("status")) return std::nullopt;
    RateLimitInfo r;
    r.status = text_of(j, "status");
    r.resetsAt = j.contains("resetsAtUnix") ? int_of(j, "resetsAtUnix") : int_of(j, "resetsAt");
    r.rateLimitType = text_of(j, "rateLimitType");
    if (j.contains("utilization") && j["utilization"].is_number())
        r.utilization = j["utilization"].get<double>();
    return r;
}

json RetryInfo::to_json() const {
    return {{"attempt", attempt},
            {"maxRetries", maxRetries},
            {"delayMs", delayMs},
            {"status", errorStatus},
            {"error", error}};
}

ModelUsage& ModelUsage::operator+=(const ModelUsage& o) {
    costUsd += o.costUsd;
    inputTokens += o.inputTokens;
    outputTokens += o.outputTokens;
    cacheReadTokens += o.cacheReadTokens;
    cacheWriteTokens += o.cacheWriteTokens;
    return *this;
}

std::optional<RateLimitInfo> rate_limit_of(const json& event) {
    const std::string type = text_of(event, "type");
    const json* info = nullptr;
    if (type == "rate_limit_event" && event.contains("rate_limit_info"))
        info = &event["rate_limit_info"];
    else if (type == "assistant" && event.contains("api_error_params") &&
             event["api_error_params"].is_object() &&
             event["api_error_params"].contains("rate_limit_info"))
        info = &event["api_error_params"]["rate_limit_info"];
    if (!info || !info->is_object()) return std::nullopt;
    RateLimitInfo r;
    r.status = text_of(*info, "status");
    r.resetsAt = int_of(*info, "resetsAt");
    r.rateLimitType = text_of(*info, "rateLimitType");
    if (info->contains("utilization") && (*info)["utilization"].is_number())
        r.utilization = (*info)["utilization"].get<double>();
    return r;
}

std::optional<RetryInfo> retry_of(const json& event) {
    if (text_of(event, "type") != "system" || text_of(event, "subtype") != "api_retry")
        return std::nullopt;
    RetryInfo r;
    r.attempt = int_of(event, "attempt");
    r.maxRetries = int_of(event, "max_retries");
    r.delayMs = int_of(event, "retry_delay_ms");
    r.errorStatus = text_of(event, "error_status");
    r.error = text_of(event, "error");
    return r;
}

ModelUsageMap model_usage_of(const json& usage) {
    ModelUsageMap out;
    if (!usage.is_object()) return out;
    for (const auto& [model, u] : usage.items()) {
        if (!u.is_object()) continue;
        ModelUsage m;
        m.costUsd = num_of(u, "costUSD");
        m.inputTokens = int_of(u, "inputTokens");
        m.outputTokens = int_of(u, "outputTokens");
        m.cacheReadTokens = int_of(u, "cacheReadInputTokens");
        m.cacheWriteTokens = int_of(u, "cacheCreationInputTokens");
        out[model] = m;
    }
    return out;
}

ModelUsageMap run_increment(const json& resultEvent, const ModelUsageMap& sessionTotals) {
    if (resultEvent.contains("model_usage_since_last_result") &&
        resultEvent["model_usage_since_last_result"].is_object())
        return model_usage_of(resultEvent["model_usage_since_last_result"]);
    ModelUsageMap now = model_usage_of(resultEvent.value("modelUsage", json::object()));
    for (auto& [model, u] : now) {
        auto before = sessionTotals.find(model);
        if (before == sessionTotals.end()) continue;
        u.costUsd -= before->second.costUsd;
        u.inputTokens -= before->second.inputTokens;
        u.outputTokens -= before->second.outputTokens;
        u.cacheReadTokens -= before->second.cacheReadTokens;
        u.cacheWriteTokens -= before->second.cacheWriteTokens;
    }
    return now;
}

json usage_to_json(const ModelUsageMap& usage) {
    json j = json::object();
    for (const auto& [model, u] : usage)
        j[model] = {{"costUsd", u.costUsd},
                    {"inputTokens", u.inputTokens},
                    {"outputTokens", u.outputTokens},
                    {"cacheReadTokens", u.cacheReadTokens},
                    {"cacheWriteTokens", u.cacheWriteTokens}};
    return j;
}

ModelUsageMap usage_from_json(const json& j) {
    ModelUsageMap out;
    if (!j.is_object()) return out;
    for (const auto& [model, u] : j.items()) {
        if (!u.is_object()) continue;
        out[model] = {num_of(u, "costUsd"), int_of(u, "inputTokens"), int_of(u, "outputTokens"),
                      int_of(u, "cacheReadTokens"), int_of(u, "cacheWriteTokens")};
    }
    return out;
}

double total_cost(const ModelUsageMap& usage) {
    double sum = 0;
    for (const auto& [model, u] : usage) sum += u.costUsd;
    return sum;
}

}  // namespace cj::transcript

#include "core/transcript/events.h"

#include <cstdio>

#include "core/transcript/text.h"
#include "core/util/json_input.h"

namespace cj::transcript {

using nlohmann::json;

namespace {

constexpr std::size_t kShortText = 300;
constexpr std::size_t kToolLine = 200;
// Lines longer than this are not parsed for the summary (a huge tool result, say); their
// type is still recognised from the prefix.
constexpr std::size_t kMaxParsedLine = 4 << 20;

// Field readers that never throw: an event log holds whatever a job printed.
std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool flag(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::int64_t integer(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}
double number(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// The message id of an assistant line, read from its start without parsing it (for lines
// too long to parse); "" when not found near the start.
std::string leading_message_id(std::string_view line) {
    auto message = line.substr(0, 4096).find("\"message\":{");
    if (message == std::string_view::npos) return {};
    std::string_view rest = line.substr(message, 4096);
    auto id = rest.find("\"id\":\"");
    if (id == std::string_view::npos) return {};
    auto start = id + 6;
    auto end = rest.find('"', start);
    return end == std::string_view::npos ? std::string()
                                         : std::string(rest.substr(start, end - start));
}

// The event's "type" when the line starts with it, as the CLI writes its events; "" when the
// line has another shape (then it must be parsed to know).
std::string_view leading_type(std::string_view line) {
    constexpr std::string_view prefix = "{\"type\":\"";
    if (line.substr(0, prefix.size()) != prefix) return {};
    auto end = line.find('"', prefix.size());
    if (end == std::string_view::npos) return {};
    return line.substr(prefix.size(), end - prefix.size());
}

// One line describing a tool call: "▸ Bash: ls -la" — the most telling input field.
std::string tool_line(const json& block) {
    std::string name = str(block, "name");
    const json& input = block.contains("input") ? block["input"] : json();
    std::string detail;
    for (const char* key :
         {"command", "file_path", "path", "pattern", "url", "query", "description", "prompt"}) {
        if (input.is_object() && input.contains(key) && input[key].is_string()) {
            detail = input[key].get<std::string>();
            break;
        }
    }
    if (detail.empty() && input.is_object() && !input.empty()) detail = input.dump();
    return one_line(detail.empty() ? name : name + ": " + detail, kToolLine);
}

// What went wrong, as a failed result says it. The CLI reports some failures (an API error, a
// non-zero exit) with subtype "success": then the API status or the result's own words.
std::string error_words(const json& event, const std::string& subtype) {
    if (!subtype.empty() && subtype != "success") return subtype;
    if (auto status = event.find("api_error_status"); status != event.end() && !status->is_null())
        return "API error " + (status->is_string() ? status->get<std::string>() : status->dump());
    std::string said = one_line(str(event, "result"), 120);
    return said.empty() ? "failed" : said;
}

}  // namespace

json ResultSummary::to_json() const {
    json j = {{"text", text},
              {"sessionId", sessionId},
              {"isError", isError},
              {"subtype", subtype},
              {"numTurns", numTurns},
              {"costUsd", costUsd},
              {"durationMs", durationMs},
              {"permissionDenials", permissionDenials}};
    if (!apiError.empty()) j["apiError"] = apiError;
    if (!apiErrorStatus.empty()) j["apiErrorStatus"] = apiErrorStatus;
    if (!terminalReason.empty()) j["terminalReason"] = terminalReason;
    if (!errors.empty()) j["errors"] = errors;
    if (rateLimit) j["rateLimit"] = rateLimit->to_json();
    if (!usage.empty()) j["usage"] = usage_to_json(usage);
    if (structured) j["structured"] = *structured;
    return j;
}

namespace {
// The same fields under two spellings: the CLI's result event, and the job view's.
struct ResultKeys {
    const char* text;
    const char* sessionId;
    const char* isError;
    const char* numTurns;
    const char* costUsd;
    const char* durationMs;
    const char* permissionDenials;
};
constexpr ResultKeys kEventKeys = {
    "result",         "session_id",  "is_error",          "num_turns",
    "total_cost_usd", "duration_ms", "permission_denials"};
constexpr ResultKeys kViewKeys = {"text",    "sessionId",  "isError",          "numTurns",
                                  "costUsd", "durationMs", "permissionDenials"};
}  // namespace

std::optional<ResultSummary> ResultSummary::from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    bool event = j.contains("type");
    const ResultKeys& k = event ? kEventKeys : kViewKeys;
    ResultSummary r;
    r.text = str(j, k.text);
    r.sessionId = str(j, k.sessionId);
    r.isError = flag(j, k.isError);
    r.subtype = str(j, "subtype");
    r.numTurns = integer(j, k.numTurns);
    r.costUsd = number(j, k.costUsd);
    r.durationMs = integer(j, k.durationMs);
    if (j.contains(k.permissionDenials) && j[k.permissionDenials].is_array())
        r.permissionDenials = j[k.permissionDenials];
    const char* statusKey = event ? "api_error_status" : "apiErrorStatus";
    if (j.contains(statusKey) && !j[statusKey].is_null())
        r.apiErrorStatus =
            j[statusKey].is_string() ? j[statusKey].get<std::string>() : j[statusKey].dump();
    r.apiError = str(j, event ? "api_error" : "apiError");
    r.terminalReason = str(j, event ? "terminal_reason" : "terminalReason");
    if (event && j.contains("errors") && j["errors"].is_array()) {
        for (const auto& e : j["errors"])
            if (e.is_string()) r.errors += (r.errors.empty() ? "" : "; ") + e.get<std::string>();
    } else if (!event) {
        r.errors = str(j, "errors");
    }
    if (!event && j.contains("rateLimit")) r.rateLimit = RateLimitInfo::from_json(j["rateLimit"]);
    if (!event && j.contains("usage")) r.usage = usage_from_json(j["usage"]);
    const char* structuredKey = event ? "structured_output" : "structured";
    if (j.contains(structuredKey) && !j[structuredKey].is_null()) r.structured = j[structuredKey];
    return r;
}

EventScanner::EventScanner(ScanCheckpoint from)
    : consumed_(from.offset),
      activity_(std::move(from.activity)),
      lastMessageId_(std::move(from.lastMessageId)),
      sessionId_(std::move(from.sessionId)),
      result_(std::move(from.result)),
      resultOffset_(from.resultOffset),
      resultBytes_(from.resultBytes) {}

ScanCheckpoint EventScanner::checkpoint() const {
    return ScanCheckpoint{consumed_,  activity_,     lastMessageId_, sessionId_,
                          result_,    resultOffset_, resultBytes_};
}

void EventScanner::feed(std::string_view chunk) {
    while (!chunk.empty()) {
        auto nl = chunk.find('\n');
        std::string_view piece = chunk.substr(0, nl);
        if (partialBytes_ == 0 && nl != std::string_view::npos) {
            line(piece, piece.size());
        } else {
            // An unfinished line is kept only up to what the summary could use of it.
            std::size_t room =
                partial_.size() < kMaxParsedLine + 1 ? kMaxParsedLine + 1 - partial_.size() : 0;
            partial_.append(piece.substr(0, room));
            partialBytes_ += piece.size();
            if (nl == std::string_view::npos) return;
            line(partial_, partialBytes_);
            partial_.clear();
            partialBytes_ = 0;
        }
        chunk.remove_prefix(nl + 1);
    }
}

void EventScanner::line(std::string_view text, std::uint64_t fullSize) {
    std::uint64_t start = consumed_;
    consumed_ += fullSize + 1;
    std::string_view type = leading_type(text);
    // Tool results (user events) are often the bulk of a log and say nothing the summary needs.
    if (!type.empty() && type != "assistant" && type != "result" && type != "system" &&
        type != "rate_limit_event")
        return;
    if (fullSize > kMaxParsedLine) {  // text may hold only the line's start
        if (type == "assistant") {
            std::string id = leading_message_id(text);
            if (id.empty() || id != lastMessageId_) ++activity_.turns;
            lastMessageId_ = id;
        }
        return;
    }
    json event = util::parse_json_or_discarded(text);
    if (event.is_discarded() || !event.is_object()) return;
    std::string parsed_type = str(event, "type");
    type = parsed_type;
    if (auto limit = rate_limit_of(event)) activity_.rateLimit = limit;
    if (type == "system") {
        if (str(event, "subtype") == "init") sessionId_ = str(event, "session_id");
        if (auto retry = retry_of(event)) activity_.retry = retry;
        return;
    }
    if (type == "result") {
        take_result(event);
        if (result_) {
            resultOffset_ = start;
            resultBytes_ = fullSize;
        }
        return;
    }
    if (type != "assistant") return;
    if (!event.contains("error")) activity_.retry.reset();  // a turn was answered
    const json& message = event.contains("message") ? event["message"] : json();
    if (!message.is_object()) return;
    // The CLI emits one event per content block; blocks of one message share its id.
    std::string id = str(message, "id");
    if (id.empty() || id != lastMessageId_) ++activity_.turns;
    lastMessageId_ = id;
    if (!message.contains("content") || !message["content"].is_array()) return;
    for (const json& block : message["content"]) {
        std::string kind = str(block, "type");
        if (kind == "text") {
            std::string t = str(block, "text");
            if (!t.empty()) activity_.lastText = one_line(t, kShortText);
        } else if (kind == "tool_use") {
            activity_.lastTool = tool_line(block);
        }
    }
}

void EventScanner::take_result(const json& event) {
    auto result = ResultSummary::from_json(event);
    if (!result) return;
    for (const auto& [model, u] : run_increment(event, sessionTotals_)) runUsage_[model] += u;
    sessionTotals_ = model_usage_of(event.value("modelUsage", json::object()));
    result->usage = runUsage_;
    if (result->apiError == "usage_limit_reached" && activity_.rateLimit &&
        activity_.rateLimit->status == "rejected")
        result->rateLimit = activity_.rateLimit;
    result_ = std::move(result);
    if (!result_->sessionId.empty()) sessionId_ = result_->sessionId;
}

std::string render_event(std::string_view line) {
    if (line.empty()) return {};
    // Tool results are not part of the transcript: skip them without parsing (they are most
    // of a long log's bytes).
    if (leading_type(line) == "user") return {};
    json event = util::parse_json_or_discarded(line);
    if (event.is_discarded() || !event.is_object()) {
        return one_line(std::string(line), 2000) + "\n";  // not JSON: show it as it is
    }
    std::string type = str(event, "type");
    std::string subtype = str(event, "subtype");
    if (type == "system") {
        if (subtype == "init") {
            return "[session " + str(event, "session_id") + ", model " + str(event, "model") +
                   "]\n";
        }
        if (subtype == "api_retry") {
            return "[API retry " +
                   (event.contains("attempt") ? event["attempt"].dump() : std::string("?")) + ": " +
                   one_line(event.contains("error") ? event["error"].dump() : "", 200) + "]\n";
        }
        return {};
    }
    if (type == "assistant") {
        std::string out;
        const json& message = event.contains("message") ? event["message"] : json();
        if (!message.is_object() || !message.contains("content") || !message["content"].is_array())
            return {};
        for (const json& block : message["content"]) {
            std::string kind = str(block, "type");
            if (kind == "text") {
                std::string t = str(block, "text");
                if (!t.empty()) out += t + (t.back() == '\n' ? "" : "\n");
            } else if (kind == "tool_use") {
                out += "▸ " + tool_line(block) + "\n";
            }
        }
        return out;
    }
    if (type == "result") {
        std::string text = flag(event, "is_error") ? "[error: " + error_words(event, subtype)
                                                   : "[done: " + subtype;
        if (event.contains("num_turns")) text += ", " + event["num_turns"].dump() + " turns";
        if (event.contains("total_cost_usd") && event["total_cost_usd"].is_number()) {
            char cost[32];
            std::snprintf(cost, sizeof cost, ", $%.4f", event["total_cost_usd"].get<double>());
            text += cost;
        }
        return text + "]\n";
    }
    return {};
}

RenderedSpan render_lines(std::string_view chunk, std::size_t maxBytes) {
    RenderedSpan out;
    while (!chunk.empty()) {
        auto nl = chunk.find('\n');
        if (nl == std::string_view::npos) break;  // an unfinished line: wait for the rest
        std::string text = render_event(chunk.substr(0, nl));
        if (!out.text.empty() && out.text.size() + text.size() > maxBytes) break;
        out.text += text;
        out.consumed += nl + 1;
        chunk.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace cj::transcript

// Reading claude's stream-json events (events.jsonl): the live activity summary, the final
// result, and the readable transcript a person or a model reads instead of raw JSON.
// Part of the small cj_transcript library, linked by the server and by the tmux pane program.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/transcript/limit_events.h"
#include "core/transcript/text.h"

namespace cj::transcript {

// The `result` event, as the job view shows it.
struct ResultSummary {
    std::string text;
    std::string sessionId;
    bool isError = false;
    std::string subtype;
    std::int64_t numTurns = 0;
    double costUsd = 0;
    std::int64_t durationMs = 0;
    nlohmann::json permissionDenials = nlohmann::json::array();
    std::string apiErrorStatus;  // as the CLI reports it, "" when none
    std::string apiError;        // e.g. usage_limit_reached, "" when none
    std::string terminalReason;  // completed, api_error, budget_exhausted, max_turns, …
    std::string errors;          // the result's `errors`, joined ("Reached maximum budget …")
    // The refusal that ended the run, when the API refused it for a usage limit.
    std::optional<RateLimitInfo> rateLimit;
    // Cost and tokens of this run by model (all its result events; not earlier runs of a
    // resumed session). Filled by the scanner.
    ModelUsageMap usage;
    std::optional<nlohmann::json> structured;  // structured_output (a job with a jsonSchema)

    nlohmann::json to_json() const;
    static std::optional<ResultSummary> from_json(const nlohmann::json& j);
};

struct Activity {
    std::int64_t turns = 0;  // assistant messages so far
    std::string lastText;    // the last assistant text, short
    std::string lastTool;    // the last tool call, one line
    std::optional<RetryInfo> retry;          // the last api_retry, until a turn is answered
    std::optional<RateLimitInfo> rateLimit;  // the last usage-limit state reported
};

// What a scanner knows at a line boundary: enough to go on from `offset` without the bytes
// before it. The result event is also located (its line's offset and size), so a summary
// kept on disk need not hold its text.
struct ScanCheckpoint {
    std::uint64_t offset = 0;  // bytes of complete lines covered
    Activity activity;
    std::string lastMessageId;  // turns count messages, not their blocks
    std::string sessionId;
    std::optional<ResultSummary> result;
    std::uint64_t resultOffset = 0;  // where the result line starts; resultBytes 0 when none
    std::uint64_t resultBytes = 0;
};

// Accumulates a summary over the event stream, fed in arbitrary chunks (a job's log grows;
// the scanner is kept per job and fed only what is new).
class EventScanner {
  public:
    EventScanner() = default;
    // Goes on from a checkpoint: the next byte fed is the one at from.offset.
    explicit EventScanner(ScanCheckpoint from);

    void feed(std::string_view chunk);
    ScanCheckpoint checkpoint() const;
    std::uint64_t consumed() const { return consumed_; }  // bytes of complete lines seen

    const Activity& activity() const { return activity_; }
    const std::string& sessionId() const { return sessionId_; }
    const std::optional<ResultSummary>& result() const { return result_; }

  private:
    // text is the line, or only its start when fullSize is larger (a line too long to keep).
    void line(std::string_view text, std::uint64_t fullSize);
    void take_result(const nlohmann::json& event);

    std::string partial_;
    std::uint64_t partialBytes_ = 0;
    std::uint64_t consumed_ = 0;
    Activity activity_;
    std::string lastMessageId_;
    std::string sessionId_;
    std::optional<ResultSummary> result_;
    std::uint64_t resultOffset_ = 0;
    std::uint64_t resultBytes_ = 0;
    ModelUsageMap sessionTotals_;  // modelUsage of the last result (cumulative)
    ModelUsageMap runUsage_;       // this run's, summed over its result events
};

// One event line as transcript text ("" for events a reader need not see). Every line
// it returns ends with '\n'.
std::string render_event(std::string_view line);

// Renders the complete lines of `chunk` (bytes starting at a line start) until the rendered
// text would pass maxBytes. Returns the text and how many bytes of `chunk` it covered.
struct RenderedSpan {
    std::string text;
    std::uint64_t consumed = 0;
};
RenderedSpan render_lines(std::string_view chunk, std::size_t maxBytes);

}  // namespace cj::transcript

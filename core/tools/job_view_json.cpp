#include "core/tools/job_view_json.h"

#include "core/tools/readable.h"
#include "core/util/clock.h"

namespace cj::tools {

using nlohmann::json;

namespace {

json rate_limit_schema() {
    return {{"type", "object"},
            {"properties",
             {{"status", {{"type", "string"}}},
              {"rateLimitType", {{"type", "string"}}},
              {"resetsAt", {{"type", "string"}}},
              {"resetsAtUnix", {{"type", "integer"}}},
              {"utilization", {{"type", "number"}}}}}};
}

json usage_schema() {
    json integer = {{"type", "integer"}};
    return {{"type", "object"},
            {"properties",
             {{"costUsd", {{"type", "number"}}},
              {"inputTokens", integer},
              {"outputTokens", integer},
              {"cacheReadTokens", integer},
              {"cacheWriteTokens", integer}}}};
}

json result_schema() {
    json str = {{"type", "string"}};
    json integer = {{"type", "integer"}};
    return {{"type", "object"},
            {"properties",
             {{"text", str},
              {"sessionId", str},
              {"isError", {{"type", "boolean"}}},
              {"subtype", str},
              {"numTurns", integer},
              {"costUsd", {{"type", "number"}}},
              {"durationMs", integer},
              {"permissionDenials", {{"type", "array"}}},
              {"truncated", {{"type", "boolean"}}},
              {"textBytes", integer},
              {"terminalReason", str},
              {"apiError", str},
              {"apiErrorStatus", str},
              {"errors", str},
              {"rateLimit", rate_limit_schema()},
              {"runCostUsd", {{"type", "number"}}},
              {"structured", json::object()},
              {"usage", {{"type", "object"}, {"additionalProperties", usage_schema()}}}}},
            {"required", {"text", "sessionId", "isError", "subtype"}}};
}

json activity_schema() {
    json str = {{"type", "string"}};
    return {{"type", "object"},
            {"properties",
             {{"turns", {{"type", "integer"}}},
              {"lastText", str},
              {"lastTool", str},
              {"state",
               {{"type", "string"},
                {"enum", {"starting", "working", "waiting_for_input", "asking", "ended"}}}},
              {"question", str},
              {"error", str},
              {"retry",
               {{"type", "object"},
                {"properties",
                 {{"attempt", {{"type", "integer"}}},
                  {"maxRetries", {{"type", "integer"}}},
                  {"delayMs", {{"type", "integer"}}},
                  {"status", str},
                  {"error", str}}}}},
              {"rateLimit", rate_limit_schema()},
              {"warning", str},
              {"waiting", str}}},
            {"required", {"turns", "lastText", "lastTool"}}};
}

json result_json(const jobs::ResultView& r) {
    const auto& s = r.summary;
    json j = {{"text", s.text},
              {"sessionId", s.sessionId},
              {"isError", s.isError},
              {"subtype", s.subtype},
              {"numTurns", s.numTurns},
              {"costUsd", s.costUsd},
              {"durationMs", s.durationMs},
              {"permissionDenials", s.permissionDenials}};
    if (r.truncated) j["truncated"] = true;
    if (r.textBytes) j["textBytes"] = *r.textBytes;
    if (!s.terminalReason.empty()) j["terminalReason"] = s.terminalReason;
    if (!s.apiError.empty()) j["apiError"] = s.apiError;
    if (!s.apiErrorStatus.empty()) j["apiErrorStatus"] = s.apiErrorStatus;
    if (!s.errors.empty()) j["errors"] = s.errors;
    if (s.rateLimit) j["rateLimit"] = s.rateLimit->to_json();
    if (s.structured) j["structured"] = *s.structured;
    if (!s.usage.empty()) {
        j["usage"] = transcript::usage_to_json(s.usage);
        j["runCostUsd"] = transcript::total_cost(s.usage);
    }
    return j;
}

json activity_json(const jobs::JobView& v) {
    json a = {{"turns", v.activity.turns},
              {"lastText", v.activity.lastText},
              {"lastTool", v.activity.lastTool}};
    if (const auto& i = v.interactive) {
        a["state"] = i->state;
        if (!i->question.empty()) a["question"] = i->question;
        if (!i->lastText.empty()) a["lastText"] = i->lastText;
        if (!i->error.empty()) a["error"] = i->error;
    }
    if (v.activity.retry && !jobs::is_terminal(v.job.state)) a["retry"] = v.activity.retry->to_json();
    if (!v.job.waiting.empty() && !jobs::is_terminal(v.job.state)) a["waiting"] = v.job.waiting;
    if (const auto& limit = v.activity.rateLimit) {
        a["rateLimit"] = limit->to_json();
        if (limit->status == "allowed_warning")
            a["warning"] = "usage at " +
                           std::to_string(static_cast<int>(limit->utilization.value_or(0) * 100)) +
                           "% of the " + limit->rateLimitType + " limit";
    }
    return a;
}

}  // namespace

json job_view_schema() {
    json str = {{"type", "string"}};
    json integer = {{"type", "integer"}};
    return {{"type", "object"},
            {"properties",
             {{"jobId", str},
              {"status", {{"type", "string"}, {"enum", jobs::all_state_names()}}},
              {"reason", str},
              {"exitCode", integer},
              {"backend", str},
              {"workFolder", str},
              {"label", str},
              {"createdAt", str},
              {"startedAt", str},
              {"endedAt", str},
              {"elapsedMs", integer},
              {"sessionId", str},
              {"result", result_schema()},
              {"activity", activity_schema()},
              {"output", str},
              {"stderrTail", str},
              {"nextOffset", integer},
              {"attach", str},
              {"message", str},
              {"changes", {{"type", "object"}}},
              {"resumeOf", str},
              {"resumedAs", str},
              {"resume",
               {{"type", "object"},
                {"properties", {{"state", str}, {"dueAt", str}, {"note", str}}}}}}},
            {"required",
             {"jobId", "status", "backend", "workFolder", "createdAt", "elapsedMs", "activity",
              "output", "stderrTail", "nextOffset"}}};
}

json to_json(const jobs::JobView& v) {
    const jobs::JobRecord& job = v.job;
    json j;
    j["jobId"] = job.id;
    j["status"] = jobs::state_name(job.state);
    if (!job.reason.empty()) j["reason"] = job.reason;
    if (job.exitCode) j["exitCode"] = *job.exitCode;
    j["backend"] = job.backend;
    j["workFolder"] = job.workFolder;
    if (!job.label.empty()) j["label"] = job.label;
    j["createdAt"] = util::iso8601(job.createdAt);
    if (job.startedAt) j["startedAt"] = util::iso8601(job.startedAt);
    if (job.endedAt) j["endedAt"] = util::iso8601(job.endedAt);
    j["elapsedMs"] = v.elapsedMs;
    if (v.result) j["result"] = result_json(*v.result);
    if (!v.sessionId.empty()) j["sessionId"] = v.sessionId;
    j["activity"] = activity_json(v);
    j["output"] = v.output;
    j["nextOffset"] = v.nextOffset;
    j["stderrTail"] = v.stderrTail;
    if (!v.attach.empty()) j["attach"] = v.attach;
    if (!v.message.empty()) j["message"] = v.message;
    if (v.changes) j["changes"] = v.changes->to_json();
    if (!v.resumeOf.empty()) j["resumeOf"] = v.resumeOf;
    if (const auto& r = v.resume) {
        if (!r->resumedAs.empty()) j["resumedAs"] = r->resumedAs;
        json entry = {{"state", r->state}};
        if (r->dueAt) entry["dueAt"] = util::iso8601(r->dueAt);
        if (!r->note.empty()) entry["note"] = r->note;
        j["resume"] = entry;
    }
    return j;
}

json view_brief(json view) {
    return leave_to_structured(std::move(view), {"/output", "/stderrTail", "/result/text",
                                                 "/result/structured", "/activity/lastText"});
}

}  // namespace cj::tools

#include "core/tools/job_view_json.h"

#include "core/util/clock.h"

namespace cj::tools {

using nlohmann::json;

namespace {

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
              {"textBytes", integer}}},
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
              {"error", str}}},
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
              {"changes", {{"type", "object"}}}}},
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
    return j;
}

}  // namespace cj::tools

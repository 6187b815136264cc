// Tests of the job view on the wire: a rendered view uses only the keys its schema declares,
// with the declared types, and carries every required key (also in its result and activity
// objects), whether the view is full or as bare as a queued job's.
#include "core/tools/job_view_json.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using cj::jobs::JobState;
using cj::jobs::JobView;
using nlohmann::json;

JobView full_view() {
    JobView v;
    v.job.id = "j1";
    v.job.state = JobState::Failed;
    v.job.reason = "exit code 1: boom";
    v.job.exitCode = 1;
    v.job.backend = "tmux";
    v.job.workFolder = "/work";
    v.job.label = "nightly";
    v.job.createdAt = 1'700'000'000'000;
    v.job.startedAt = 1'700'000'001'000;
    v.job.endedAt = 1'700'000'009'000;
    v.job.waiting = "waiting in Slurm's queue (job 12): the cluster has no free resources (Resources)";
    v.elapsedMs = 8000;
    cj::jobs::ResultView r;
    r.summary.text = "partial";
    r.summary.sessionId = "sess-1";
    r.summary.isError = true;
    r.summary.subtype = "error_during_execution";
    r.summary.numTurns = 3;
    r.summary.costUsd = 0.25;
    r.summary.durationMs = 8000;
    r.summary.permissionDenials = json::array({{{"tool_name", "Write"}}});
    r.summary.apiErrorStatus = "429";
    r.summary.apiError = "usage_limit_reached";
    r.summary.terminalReason = "api_error";
    r.summary.errors = "Usage limit reached";
    r.summary.rateLimit = cj::transcript::RateLimitInfo{"rejected", 1'700'003'600, "five_hour", 1.0};
    r.summary.usage["claude-sonnet"] = cj::transcript::ModelUsage{0.25, 100, 20, 5, 1};
    r.summary.structured = json{{"ok", false}};
    r.truncated = true;
    r.textBytes = 90000;
    v.result = r;
    v.sessionId = "sess-1";
    v.activity.turns = 3;
    v.activity.lastText = "short";
    v.activity.lastTool = "Bash: make";
    v.activity.retry = cj::transcript::RetryInfo{1, 10, 500, "529", "overloaded"};
    v.activity.rateLimit =
        cj::transcript::RateLimitInfo{"allowed_warning", 1'700'003'600, "five_hour", 0.9};
    v.interactive = cj::jobs::InteractiveState{"asking", "Allow Bash?", "the whole last answer",
                                               "API error 529"};
    v.output = "transcript\n";
    v.nextOffset = 1234;
    v.stderrTail = "boom\n";
    v.attach = "tmux attach -t j1";
    v.message = "job already ended (failed); nothing to cancel";
    cj::jobs::ChangeRecord changes;
    changes.workFolder = "/work";
    changes.baseCommit = "0123abc";
    v.changes = changes;
    v.resumeOf = "j0";
    v.resume = cj::jobs::ResumeEntry{"resumed", 1'700'003'600'000, "j2", ""};
    return v;
}

JobView bare_view() {
    JobView v;
    v.job.id = "q1";
    v.job.state = JobState::Queued;
    v.job.backend = "local";
    v.job.workFolder = "/work";
    v.job.createdAt = 1'700'000'000'000;
    return v;
}

bool has_type(const json& value, const std::string& type) {
    if (type == "string") return value.is_string();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "boolean") return value.is_boolean();
    if (type == "array") return value.is_array();
    if (type == "object") return value.is_object();
    return false;
}

// Every key of `value` is declared, with its type (and in its enum); every required key is
// there. Objects are checked the same way, one level down.
void expect_matches(const json& value, const json& schema, const std::string& where) {
    ASSERT_TRUE(value.is_object()) << where;
    const json& properties = schema.at("properties");
    for (const auto& [key, item] : value.items()) {
        ASSERT_TRUE(properties.contains(key)) << where << "." << key << " is not in the schema";
        const json& declared = properties.at(key);
        if (declared.contains("type")) {  // no type: any JSON value (a job's structured output)
            EXPECT_TRUE(has_type(item, declared["type"])) << where << "." << key << " is " << item;
        }
        if (declared.contains("enum")) {
            bool listed = false;
            for (const auto& e : declared["enum"]) listed = listed || e == item;
            EXPECT_TRUE(listed) << where << "." << key << " = " << item << " is not in its enum";
        }
        if (declared.contains("properties")) expect_matches(item, declared, where + "." + key);
    }
    for (const auto& name : schema.value("required", json::array()))
        EXPECT_TRUE(value.contains(name.get<std::string>()))
            << where << " lacks the required " << name;
}

TEST(JobViewJsonTest, JobViewSchemaRequiresOnlyDeclaredProperties) {
    json view = cj::tools::job_view_schema();
    for (const auto& name : view["required"])
        EXPECT_TRUE(view["properties"].contains(name.get<std::string>())) << name;
    json result = view["properties"]["result"];
    for (const auto& name : result["required"])
        EXPECT_TRUE(result["properties"].contains(name.get<std::string>())) << name;
}

TEST(JobViewJsonTest, SubObjectSchemasRequireOnlyDeclaredProperties) {
    json activity = cj::tools::job_view_schema()["properties"]["activity"];
    for (const auto& name : activity["required"])
        EXPECT_TRUE(activity["properties"].contains(name.get<std::string>())) << name;
}

TEST(JobViewJsonTest, AFullViewMatchesTheSchema) {
    JobView v = full_view();
    v.job.state = JobState::Running;  // a retry is shown only while the job runs
    json j = cj::tools::to_json(v);
    // One schema object for the loops below: items() of a temporary's member would dangle.
    const json schema = cj::tools::job_view_schema();
    expect_matches(j, schema, "view");
    // Every optional part was filled, so every declared key is present.
    for (const auto& [key, declared] : schema["properties"].items())
        EXPECT_TRUE(j.contains(key)) << key << " is declared but never rendered";
    for (const auto& [key, declared] : schema["properties"]["result"]["properties"].items())
        EXPECT_TRUE(j["result"].contains(key)) << "result." << key;
    for (const auto& [key, declared] : schema["properties"]["activity"]["properties"].items())
        EXPECT_TRUE(j["activity"].contains(key)) << "activity." << key;
}

TEST(JobViewJsonTest, ABareViewMatchesTheSchema) {
    json j = cj::tools::to_json(bare_view());
    expect_matches(j, cj::tools::job_view_schema(), "view");
    EXPECT_FALSE(j.contains("result"));
    EXPECT_FALSE(j.contains("startedAt"));
    EXPECT_FALSE(j.contains("exitCode"));
    EXPECT_FALSE(j["activity"].contains("state")) << "not interactive";
}

TEST(JobViewJsonTest, ValuesAreRenderedFromTheView) {
    json j = cj::tools::to_json(full_view());
    EXPECT_EQ(j["jobId"], "j1");
    EXPECT_EQ(j["status"], "failed");
    EXPECT_EQ(j["exitCode"], 1);
    EXPECT_EQ(j["createdAt"], "2023-11-14T22:13:20.000Z");
    EXPECT_EQ(j["elapsedMs"], 8000);
    EXPECT_EQ(j["result"]["textBytes"], 90000);
    EXPECT_EQ(j["result"]["truncated"], true);
    EXPECT_EQ(j["activity"]["lastText"], "the whole last answer") << "the interactive answer wins";
    EXPECT_EQ(j["activity"]["state"], "asking");
    EXPECT_EQ(j["activity"]["question"], "Allow Bash?");
    EXPECT_EQ(j["nextOffset"], 1234);
}

}  // namespace

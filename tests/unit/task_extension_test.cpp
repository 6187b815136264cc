// The 2026-07-28 tasks extension's wire (core/protocol/task_extension.h) over a fake provider:
// the flat task of a tools/call, tasks/get's result / error / inputRequests, tasks/update's
// input to the job and its refusals, tasks/cancel.
#include "core/protocol/task_extension.h"
#include "support/task_outcomes.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace task_extension_test {
namespace {

using cj::protocol::Error;
using cj::protocol::Outcome;
using cj::protocol::TaskExtension;
using cj::tools::TaskInfo;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using nlohmann::json;

using cj::testing::code_of;
using cj::testing::result_of;

TaskInfo task(const std::string& id, const std::string& status) {
    return cj::testing::fake_task(id, status);
}

struct Fake {
    std::map<std::string, TaskInfo> tasks{{"done", task("done", "completed")},
                                          {"busy", task("busy", "working")},
                                          {"asks", task("asks", "input_required")},
                                          {"late", task("late", "failed")}};
    std::vector<std::pair<std::string, std::string>> inputs;
    std::vector<std::string> cancelled;

    claude_jobs::Result<TaskInfo> find(const std::string& id) const {
        if (id == "theirs") return make_error(ErrorCode::PermissionDenied, "another connection's");
        auto it = tasks.find(id);
        if (it == tasks.end()) return make_error(ErrorCode::NotFound, "no task " + id);
        return it->second;
    }

    cj::tools::Tasks provider() {
        cj::tools::Tasks t;
        t.taskTools = {"start"};
        t.create = [](const std::string&, const json&, std::optional<std::int64_t>,
                      cj::tools::RequestContext&) -> claude_jobs::Result<TaskInfo> {
            return task("new", "working");
        };
        t.get = [this](const std::string& id) { return find(id); };
        t.result = [this](const std::string& id) -> claude_jobs::Result<cj::tools::ToolResult> {
            auto found = find(id);
            if (!found) return found.error();
            return cj::tools::ToolResult{json{{"jobId", id}, {"status", found->status}}, false};
        };
        t.cancel = [this](const std::string& id) -> claude_jobs::Result<TaskInfo> {
            cancelled.push_back(id);
            return task(id, "cancelled");
        };
        t.input = [this](const std::string& id, const std::string& text) {
            inputs.emplace_back(id, text);
            return find(id);
        };
        return t;
    }
};

TEST(TaskExtension, CreateAnswersTheFlatTask) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    cj::tools::RequestContext ctx;
    json created = result_of(ext.create("start", json::object(), ctx));
    EXPECT_EQ(created["resultType"], "task");
    EXPECT_EQ(created["taskId"], "new");
    EXPECT_EQ(created["status"], "working");
    EXPECT_EQ(created["createdAt"], "2025-11-24T16:00:00.000Z");
    EXPECT_EQ(created["ttlMs"], 604800000);
    EXPECT_EQ(created["pollIntervalMs"], 1000);
    EXPECT_FALSE(created.contains("task")) << "flat, not the 2025 {task: ...}";
}

TEST(TaskExtension, GetInlinesWhatTheStatusBrings) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    json done = result_of(ext.get({{"taskId", "done"}}));
    EXPECT_EQ(done["status"], "completed");
    EXPECT_EQ(done["result"]["resultType"], "complete");
    EXPECT_EQ(done["result"]["structuredContent"]["jobId"], "done");
    EXPECT_EQ(done["result"]["isError"], false);
    EXPECT_FALSE(done.contains("pollIntervalMs"));

    json late = result_of(ext.get({{"taskId", "late"}}));
    EXPECT_EQ(late["status"], "failed");
    EXPECT_EQ(late["error"]["code"], -32603);
    EXPECT_NE(late["error"]["message"].get<std::string>().find("timed_out"), std::string::npos);
    EXPECT_EQ(late["error"]["data"]["result"]["structuredContent"]["jobId"], "late");
    EXPECT_FALSE(late.contains("result"));

    json asks = result_of(ext.get({{"taskId", "asks"}}));
    EXPECT_EQ(asks["status"], "input_required");
    const json& request = asks["inputRequests"]["input-1"];
    EXPECT_EQ(request["method"], "elicitation/create");
    EXPECT_NE(request["params"]["message"].get<std::string>().find("which file?"),
              std::string::npos);
    EXPECT_EQ(request["params"]["requestedSchema"]["required"], json::array({"text"}));

    json busy = result_of(ext.get({{"taskId", "busy"}}));
    EXPECT_FALSE(busy.contains("result") || busy.contains("error") ||
                 busy.contains("inputRequests"));
}

TEST(TaskExtension, GetRefusesUnknownForeignAndMalformedIds) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    EXPECT_EQ(code_of(ext.get({{"taskId", "nope"}})), -32602);
    EXPECT_EQ(code_of(ext.get({{"taskId", "theirs"}})), -32602);
    EXPECT_EQ(code_of(ext.get({{"taskId", 3}})), -32602);
    EXPECT_EQ(code_of(ext.get(json::array())), -32602);
}

TEST(TaskExtension, UpdateSendsAnAcceptedTextToTheJob) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    json ok = result_of(
        ext.update({{"taskId", "asks"},
                    {"inputResponses",
                     {{"input-1", {{"action", "accept"}, {"content", {{"text", "main.cpp"}}}}}}}}));
    EXPECT_EQ(ok, json::object());
    ASSERT_EQ(fake.inputs.size(), 1u);
    EXPECT_EQ(fake.inputs[0].first, "asks");
    EXPECT_EQ(fake.inputs[0].second, "main.cpp");
    // A declined request sends nothing.
    EXPECT_EQ(result_of(ext.update({{"taskId", "asks"},
                                    {"inputResponses", {{"input-1", {{"action", "decline"}}}}}})),
              json::object());
    EXPECT_EQ(fake.inputs.size(), 1u);
}

TEST(TaskExtension, UpdateRefusals) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    auto accept = [](const char* key) {
        return json{{key, {{"action", "accept"}, {"content", {{"text", "x"}}}}}};
    };
    // A key that is not outstanding.
    Outcome stale = ext.update({{"taskId", "asks"}, {"inputResponses", accept("input-0")}});
    EXPECT_EQ(code_of(stale), -32602);
    // A task that does not wait for input.
    EXPECT_EQ(code_of(ext.update({{"taskId", "busy"}, {"inputResponses", accept("input-1")}})),
              -32602);
    // No text.
    EXPECT_EQ(code_of(ext.update(
                  {{"taskId", "asks"}, {"inputResponses", {{"input-1", {{"action", "accept"}}}}}})),
              -32602);
    EXPECT_EQ(code_of(ext.update({{"taskId", "asks"}})), -32602);
    EXPECT_EQ(code_of(ext.update({{"taskId", "nope"}, {"inputResponses", accept("input-1")}})),
              -32602);
    EXPECT_TRUE(fake.inputs.empty());
}

TEST(TaskExtension, CancelAcknowledgesAndRefusesAnEndedTask) {
    Fake fake;
    auto provider = fake.provider();
    TaskExtension ext(provider);
    EXPECT_EQ(result_of(ext.cancel({{"taskId", "busy"}})), json::object());
    EXPECT_EQ(fake.cancelled, std::vector<std::string>{"busy"});
    Outcome ended = ext.cancel({{"taskId", "done"}});
    EXPECT_EQ(code_of(ended), -32602);
    EXPECT_EQ(std::get<Error>(ended).data["task"]["status"], "completed");
    EXPECT_EQ(fake.cancelled.size(), 1u);
}

}  // namespace
}  // namespace task_extension_test

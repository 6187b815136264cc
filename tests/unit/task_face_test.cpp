// The 2025-11-25 tasks utility's wire (core/protocol/task_face.h) over a fake provider: the
// Task object, the errors the spec names, tasks/result's bound and progress, and the
// related-task _meta.
#include "core/protocol/task_face.h"
#include "core/tools/readable.h"
#include "support/task_outcomes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using cj::protocol::Error;
using cj::protocol::Outcome;
using cj::protocol::TaskFace;
using cj::tools::TaskInfo;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using nlohmann::json;

using cj::testing::code_of;
using cj::testing::result_of;

TaskInfo task(const std::string& id, const std::string& status) {
    return cj::testing::fake_task(id, status);
}

// Tasks "done" (completed), "busy" (working), "asks" (input_required), "boom" (the provider
// fails); anything else is not found.
struct Fake {
    std::map<std::string, TaskInfo> tasks{{"done", task("done", "completed")},
                                          {"busy", task("busy", "working")},
                                          {"asks", task("asks", "input_required")}};
    std::vector<std::string> cancelled;
    std::optional<std::int64_t> lastTtl;
    json lastArgs;

    claude_jobs::Result<TaskInfo> find(const std::string& id) const {
        if (id == "boom") return make_error(ErrorCode::Internal, "the index broke");
        auto it = tasks.find(id);
        if (it == tasks.end()) return make_error(ErrorCode::NotFound, "no task " + id);
        return it->second;
    }

    cj::tools::Tasks provider() {
        cj::tools::Tasks t;
        t.taskTools = {"start"};
        t.create = [this](const std::string&, const json& args, std::optional<std::int64_t> ttl,
                          cj::tools::RequestContext&) -> claude_jobs::Result<TaskInfo> {
            lastTtl = ttl;
            lastArgs = args;
            return task("new", "working");
        };
        t.get = [this](const std::string& id) { return find(id); };
        t.wait = [this](const std::string& id, std::chrono::milliseconds bound,
                        cj::util::CancelToken& cancel,
                        const std::function<void(const TaskInfo&)>& progress)
            -> claude_jobs::Result<TaskInfo> {
            auto found = find(id);
            if (!found || found->terminal() || found->status == "input_required") return found;
            // A working task stays working: tick every 20 ms until the bound.
            auto end = std::chrono::steady_clock::now() + bound;
            while (std::chrono::steady_clock::now() < end && !cancel.cancelled()) {
                if (progress) progress(*found);
                cancel.wait_for(std::chrono::milliseconds(20));
            }
            return found;
        };
        t.result = [this](const std::string& id) -> claude_jobs::Result<cj::tools::ToolResult> {
            auto found = find(id);
            if (!found) return found.error();
            cj::tools::ToolResult r{
                json{{"jobId", id}, {"status", "completed"}, {"output", "one\ntwo\n"}}, false};
            r.brief = cj::tools::leave_to_structured(r.structured, {"/output"});
            return r;
        };
        t.list = [](const std::string& cursor) -> claude_jobs::Result<cj::tools::TaskPage> {
            cj::tools::TaskPage page;
            if (cursor.empty()) {
                page.tasks = {task("b", "working"), task("a", "failed")};
                page.nextCursor = "7";
            } else if (cursor != "7") {
                return make_error(ErrorCode::InvalidArgument, "unknown cursor");
            }
            return page;
        };
        t.cancel = [this](const std::string& id) -> claude_jobs::Result<TaskInfo> {
            cancelled.push_back(id);
            return task(id, "cancelled");
        };
        t.watch = [](std::function<void(const TaskInfo&)> onChange) {
            onChange(task("w", "completed"));
            return std::function<void()>([] {});
        };
        return t;
    }
};

const Error& error_of(const Outcome& o) {
    return std::get<Error>(o);
}
TEST(TaskFace, CapabilityAndToolExecution) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    EXPECT_TRUE(face.enabled());
    EXPECT_EQ(face.capability(),
              json::parse(R"({"list":{},"cancel":{},"requests":{"tools":{"call":{}}}})"));
    EXPECT_EQ(face.execution("start"), json::parse(R"({"taskSupport":"optional"})"));
    EXPECT_TRUE(face.execution("check").is_null());
    EXPECT_TRUE(TaskFace::serves("2025-11-25"));
    EXPECT_FALSE(TaskFace::serves("2025-06-18"));
    EXPECT_FALSE(TaskFace(cj::tools::Tasks{}).enabled());
}

TEST(TaskFace, TheTaskObjectOnTheWire) {
    json working = TaskFace::task_json(task("t1", "working"));
    EXPECT_EQ(working, json::parse(R"({"taskId":"t1","status":"working",
        "createdAt":"2025-11-24T16:00:00.000Z","lastUpdatedAt":"2025-11-24T16:00:01.500Z",
        "ttl":604800000,"pollInterval":1000})"));
    TaskInfo ended = task("t2", "failed");
    ended.ttlMs.reset();
    ended.statusMessage = "timed_out: ran past 60 s";
    json e = TaskFace::task_json(ended);
    EXPECT_TRUE(e["ttl"].is_null()) << "unlimited is null, not absent";
    EXPECT_FALSE(e.contains("pollInterval"));
    EXPECT_EQ(e["statusMessage"], "timed_out: ran past 60 s");
}

TEST(TaskFace, CreateChecksTheToolAndTheTtl) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    cj::tools::RequestContext ctx;
    json args = {{"prompt", "p"}};
    EXPECT_EQ(code_of(face.create("check", args, json::object(), ctx)),
              cj::protocol::kMethodNotFound);
    for (const char* bad : {R"({"ttl":0})", R"({"ttl":-1})", R"({"ttl":1.5})", R"({"ttl":"60"})",
                            R"({"ttl":-1e30})", R"([])"}) {
        auto o = face.create("start", args, json::parse(bad), ctx);
        EXPECT_EQ(code_of(o), cj::protocol::kInvalidParams) << bad;
    }
    EXPECT_NE(error_of(face.create("start", args, json::parse(R"({"ttl":0})"), ctx))
                  .message.find("above 0"),
              std::string::npos);

    json created = result_of(face.create("start", args, json::object(), ctx));
    EXPECT_EQ(created["task"]["taskId"], "new");
    EXPECT_EQ(created["task"]["status"], "working");
    EXPECT_FALSE(fake.lastTtl);
    EXPECT_EQ(fake.lastArgs, args);
    result_of(face.create("start", args, json::parse(R"({"ttl":60000})"), ctx));
    EXPECT_EQ(fake.lastTtl, 60000);
    result_of(face.create("start", args, json::parse(R"({"ttl":1e30})"), ctx));
    EXPECT_EQ(fake.lastTtl, INT64_MAX) << "a huge ttl is capped, not refused";
    result_of(face.create("start", args, json::parse(R"({"ttl":18446744073709551615})"), ctx));
    EXPECT_EQ(fake.lastTtl, INT64_MAX);
}

TEST(TaskFace, GetMapsTheProvidersErrors) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    EXPECT_EQ(result_of(face.get({{"taskId", "busy"}}))["status"], "working");
    EXPECT_EQ(code_of(face.get({{"taskId", "nope"}})), cj::protocol::kInvalidParams);
    EXPECT_EQ(error_of(face.get({{"taskId", "nope"}})).message, "no task nope");
    EXPECT_EQ(code_of(face.get({{"taskId", "boom"}})), cj::protocol::kInternalError);
    EXPECT_EQ(code_of(face.get(json::object())), cj::protocol::kInvalidParams);
    EXPECT_EQ(code_of(face.get({{"taskId", 5}})), cj::protocol::kInvalidParams);
    EXPECT_EQ(code_of(face.get(json::array())), cj::protocol::kInvalidParams);
    auto longId = face.get({{"taskId", std::string(5000, 'x')}});
    EXPECT_EQ(code_of(longId), cj::protocol::kInvalidParams);
    EXPECT_LT(error_of(longId).message.size(), 200u) << "a long id is not echoed";
}

TEST(TaskFace, ResultOfAnEndedTaskCarriesItsRelatedTask) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    cj::tools::RequestContext ctx;
    json r = result_of(face.result({{"taskId", "done"}}, ctx));
    EXPECT_EQ(r["structuredContent"]["jobId"], "done");
    EXPECT_EQ(r["isError"], false);
    EXPECT_EQ(r["content"][0]["type"], "text");
    // A tasks client (2025-11-25) reads structuredContent: the text block is the brief.
    EXPECT_EQ(r["content"][0]["text"],
              "jobId: done\nstatus: completed\noutput: (8 bytes, in structuredContent)\n");
    EXPECT_EQ(r["structuredContent"]["output"], "one\ntwo\n");
    EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/related-task"],
              json::parse(R"({"taskId":"done"})"));
    EXPECT_EQ(code_of(face.result({{"taskId", "nope"}}, ctx)), cj::protocol::kInvalidParams);
}

TEST(TaskFace, ResultAnswersAtItsBoundWithTheTaskAndReportsProgress) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks, TaskFace::Options{std::chrono::milliseconds(300)});
    cj::tools::RequestContext ctx;
    ctx.progressToken = json("tok");
    std::vector<json> sent;
    ctx.notify = [&sent](const std::string& method, const json& params) {
        EXPECT_EQ(method, "notifications/progress");
        sent.push_back(params);
    };
    auto began = std::chrono::steady_clock::now();
    auto o = face.result({{"taskId", "busy"}}, ctx);
    auto took = std::chrono::steady_clock::now() - began;
    EXPECT_GE(took, std::chrono::milliseconds(290));
    EXPECT_LT(took, std::chrono::milliseconds(2000));
    ASSERT_EQ(code_of(o), cj::protocol::kTaskNotEnded);
    EXPECT_EQ(error_of(o).data["task"]["status"], "working");
    EXPECT_NE(error_of(o).message.find("call tasks/result again"), std::string::npos);
    ASSERT_GE(sent.size(), 3u);
    EXPECT_EQ(sent[0]["progressToken"], "tok");
    EXPECT_EQ(sent[0]["progress"], 1);
    EXPECT_EQ(sent[1]["progress"], 2) << "progress increases";
}

TEST(TaskFace, ResultOfATaskWaitingForInputAnswersAtOnce) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks, TaskFace::Options{std::chrono::milliseconds(5000)});
    cj::tools::RequestContext ctx;
    auto began = std::chrono::steady_clock::now();
    auto o = face.result({{"taskId", "asks"}}, ctx);
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(1000));
    ASSERT_EQ(code_of(o), cj::protocol::kTaskNotEnded);
    EXPECT_EQ(error_of(o).data["task"]["status"], "input_required");
    EXPECT_NE(error_of(o).message.find("claude_send"), std::string::npos);
}

TEST(TaskFace, ResultEndsWhenTheRequestIsCancelled) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks, TaskFace::Options{std::chrono::milliseconds(30000)});
    cj::tools::RequestContext ctx;
    std::thread canceller([&ctx] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ctx.cancel->cancel();
    });
    auto began = std::chrono::steady_clock::now();
    auto o = face.result({{"taskId", "busy"}}, ctx);
    canceller.join();
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(5000));
    EXPECT_EQ(code_of(o), cj::protocol::kTaskNotEnded);
}

TEST(TaskFace, ListPagesAndRefusesABadCursor) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    json first = result_of(face.list(nullptr));
    ASSERT_EQ(first["tasks"].size(), 2u);
    EXPECT_EQ(first["tasks"][0]["taskId"], "b");
    EXPECT_EQ(first["nextCursor"], "7");
    json last = result_of(face.list({{"cursor", "7"}}));
    EXPECT_TRUE(last["tasks"].empty());
    EXPECT_FALSE(last.contains("nextCursor"));
    EXPECT_EQ(code_of(face.list({{"cursor", "x"}})), cj::protocol::kInvalidParams);
    EXPECT_EQ(code_of(face.list({{"cursor", 7}})), cj::protocol::kInvalidParams);
}

TEST(TaskFace, CancelRefusesAnEndedTask) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    auto ended = face.cancel({{"taskId", "done"}});
    EXPECT_EQ(code_of(ended), cj::protocol::kInvalidParams);
    EXPECT_NE(error_of(ended).message.find("already ended (completed)"), std::string::npos);
    EXPECT_TRUE(fake.cancelled.empty());
    EXPECT_EQ(result_of(face.cancel({{"taskId", "busy"}}))["status"], "cancelled");
    EXPECT_EQ(fake.cancelled, std::vector<std::string>{"busy"});
    EXPECT_EQ(code_of(face.cancel({{"taskId", "nope"}})), cj::protocol::kInvalidParams);
}

TEST(TaskFace, WatchSendsTheTaskObject) {
    Fake fake;
    auto tasks = fake.provider();
    TaskFace face(tasks);
    std::vector<json> told;
    auto stop = face.watch([&told](const json& t) { told.push_back(t); });
    stop();
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0]["taskId"], "w");
    EXPECT_EQ(told[0]["status"], "completed");
    // No provider watch: nothing to stop, nothing sent.
    cj::tools::Tasks none;
    TaskFace(none).watch([](const json&) { ADD_FAILURE(); })();
}

}  // namespace

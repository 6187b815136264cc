// The real binary in the 2026-07-28 era (docs/protocol.md): server/discover, requests with
// per-request _meta and no initialize, claude_start as a task of the tasks extension seen
// through tasks/get to its result and through the other faces (claude_check, claude_jobs),
// tasks/cancel, the off switch, and bad input: interleaved eras, unknown, hostile and
// another connection's task ids.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include "harness.h"

namespace cj::testing {
namespace {

json era_meta(bool tasks) {
    json caps = json::object();
    if (tasks) caps["extensions"] = {{"io.modelcontextprotocol/tasks", json::object()}};
    return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
            {"io.modelcontextprotocol/clientCapabilities", caps},
            {"io.modelcontextprotocol/clientInfo", {{"name", "era-it"}, {"version", "1"}}}};
}

class EraTest : public ::testing::Test {
  protected:
    TempDir state_{"cj-era"};
    TempDir work_{"cj-era-work"};
    std::int64_t nextId_ = 1000;

    // A 2026-07-28 request; waits for its response.
    json era(Server& server, const std::string& method, json params = json::object(),
             bool tasks = true) {
        params["_meta"] = era_meta(tasks);
        std::int64_t id = nextId_++;
        server.send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
        auto r = server.response_for(id, std::chrono::seconds(60));
        if (!r) {
            ADD_FAILURE() << "no answer to " << method << "\n" << server.stderr_text();
            return json::object();
        }
        return *r;
    }

    json start_task(Server& server, const std::string& prompt) {
        json r = era(server, "tools/call",
                     {{"name", "claude_start"},
                      {"arguments", {{"prompt", prompt}, {"workFolder", work_.path()}}}});
        EXPECT_EQ(r["result"]["resultType"], "task") << r.dump();
        return r["result"];
    }

    // tasks/get until the task is no longer working.
    json follow(Server& server, const std::string& taskId) {
        json got;
        wait_until(
            [&] {
                got = era(server, "tasks/get", {{"taskId", taskId}})["result"];
                return got.value("status", "") != "working";
            },
            std::chrono::seconds(60));
        return got;
    }
};

TEST_F(EraTest, DiscoverThenATaskToItsResultSeenByEveryFace) {
    json config = default_config(state_.path());
    config["protocol"] = {{"discover", true}};
    Server server(state_.path(), config);
    json discovered = era(server, "server/discover", json::object(), false)["result"];
    EXPECT_EQ(discovered["supportedVersions"], json::array({"2026-07-28"}));
    EXPECT_TRUE(discovered["capabilities"]["extensions"].contains("io.modelcontextprotocol/tasks"));
    EXPECT_FALSE(discovered["capabilities"].contains("tasks"));
    EXPECT_EQ(discovered["cacheScope"], "private");

    json tools = era(server, "tools/list", json::object(), false)["result"];
    EXPECT_EQ(tools["resultType"], "complete");
    EXPECT_EQ(tools["tools"].size(), 8u);

    json task = start_task(server, "say era answer");
    std::string id = task["taskId"];
    EXPECT_EQ(task["status"], "working");
    EXPECT_EQ(task["pollIntervalMs"], 1000);

    json done = follow(server, id);
    ASSERT_EQ(done["status"], "completed") << done.dump();
    EXPECT_EQ(done["resultType"], "complete");
    EXPECT_EQ(done["result"]["structuredContent"]["jobId"], id);
    EXPECT_EQ(done["result"]["structuredContent"]["job"]["result"]["text"], "era answer");
    EXPECT_EQ(done["result"]["isError"], false);

    // The same job through the tools, in the same era.
    json check =
        era(server, "tools/call", {{"name", "claude_check"}, {"arguments", {{"jobId", id}}}});
    EXPECT_EQ(check["result"]["resultType"], "complete");
    EXPECT_EQ(check["result"]["structuredContent"]["status"], "completed");
    json jobs = era(server, "tools/call", {{"name", "claude_jobs"}, {"arguments", json::object()}});
    EXPECT_NE(jobs["result"]["structuredContent"].dump().find(id), std::string::npos);
    json resource = era(server, "resources/read", {{"uri", "claude-jobs://job/" + id}});
    EXPECT_EQ(resource["result"]["ttlMs"], 0);
    // And from a terminal: the command line reads the same store.
    CliResult shown = run_cli({"--config", state_.path() + "/config.json", "show", id});
    EXPECT_EQ(shown.status, 0) << shown.err;
    EXPECT_NE(shown.out.find(id), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("completed"), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("era answer"), std::string::npos) << shown.out;

    // A job started as a plain call is one of this connection's tasks too.
    json plain = era(server, "tools/call",
                     {{"name", "claude_start"},
                      {"arguments", {{"prompt", "say plain"}, {"workFolder", work_.path()}}}},
                     false);
    std::string plainId = plain["result"]["structuredContent"]["jobId"];
    EXPECT_EQ(plain["result"]["resultType"], "complete");
    EXPECT_EQ(follow(server, plainId)["status"], "completed");
}

TEST_F(EraTest, CancelEndsTheJob) {
    Server server(state_.path(), default_config(state_.path()));
    json task = start_task(server, "sleep 30\nsay never");
    std::string id = task["taskId"];
    json cancelled = era(server, "tasks/cancel", {{"taskId", id}});
    EXPECT_EQ(cancelled["result"]["resultType"], "complete") << cancelled.dump();
    json after = follow(server, id);
    EXPECT_EQ(after["status"], "cancelled") << after.dump();
    json again = era(server, "tasks/cancel", {{"taskId", id}});
    EXPECT_EQ(again["error"]["code"], -32602);
}

TEST_F(EraTest, AStartThatAsksToWaitIsAnsweredInPlaceNotAsATask) {
    // The client declares the tasks extension, but a claude_start with waitSec asks for the
    // end within the call: it is answered as the tool answers, bounded, and the job is a
    // plain job of this connection (its wake-ups untouched).
    Server server(state_.path(), default_config(state_.path()));
    json r = era(server, "tools/call",
                 {{"name", "claude_start"},
                  {"arguments",
                   {{"prompt", "say in place"}, {"workFolder", work_.path()}, {"waitSec", 30}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["resultType"], "complete") << r.dump();
    EXPECT_EQ(r["result"]["structuredContent"]["status"], "completed") << r.dump();
    EXPECT_EQ(r["result"]["structuredContent"]["job"]["result"]["text"], "in place") << r.dump();
}

TEST_F(EraTest, BadInputGetsClearErrorsAndTheServerStaysUp) {
    Server a(state_.path(), default_config(state_.path()));
    json task = start_task(a, "say mine");
    std::string id = task["taskId"];

    // Another connection (another server on the same state dir) cannot follow it as a task.
    Server b(state_.path(), default_config(state_.path()));
    json foreign = era(b, "tasks/get", {{"taskId", id}});
    EXPECT_EQ(foreign["error"]["code"], -32602) << foreign.dump();
    EXPECT_NE(foreign["error"]["message"].get<std::string>().find("another connection"),
              std::string::npos);

    for (const json& bad : {json("no-such-job"), json("../../etc/passwd"), json("/tmp"),
                            json(std::string(100000, 'a')), json(17), json(nullptr)}) {
        json r = era(a, "tasks/get", {{"taskId", bad}});
        EXPECT_EQ(r["error"]["code"], -32602) << bad.dump().substr(0, 80);
        EXPECT_LT(r.dump().size(), 2000u);
    }
    json noCap = era(a, "tasks/get", {{"taskId", id}}, false);
    EXPECT_EQ(noCap["error"]["code"], -32021);
    EXPECT_EQ(era(a, "tasks/result", {{"taskId", id}})["error"]["code"], -32601);
    EXPECT_EQ(era(a, "tasks/list")["error"]["code"], -32601);
    json update =
        era(a, "tasks/update", {{"taskId", id}, {"inputResponses", {{"x", json::object()}}}});
    EXPECT_EQ(update["error"]["code"], -32602) << "not waiting for input";

    // Interleaved eras on one connection.
    json legacy = a.request("tools/list");
    EXPECT_EQ(legacy["error"]["code"], -32600);
    json init = a.request("initialize", {{"protocolVersion", "2025-11-25"},
                                         {"capabilities", json::object()},
                                         {"clientInfo", {{"name", "x"}, {"version", "1"}}}});
    EXPECT_EQ(init["error"]["code"], -32600);
    json unsupported = era(a, "tools/list");
    EXPECT_TRUE(unsupported.contains("result")) << "still serving";
    json wrong = a.request(
        "tools/list", {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2030-01-01"}}}});
    EXPECT_EQ(wrong["error"]["code"], -32022);
    EXPECT_EQ(wrong["error"]["data"]["requested"], "2030-01-01");

    // No job was lost.
    EXPECT_EQ(follow(a, id)["status"], "completed");

    // The other way round: an initialized connection refuses the era's _meta.
    Server c(state_.path(), default_config(state_.path()));
    c.initialize("2025-11-25");
    json mixed = era(c, "tools/list");
    EXPECT_EQ(mixed["error"]["code"], -32600);
    EXPECT_EQ(c.request("ping")["result"], json::object());
}

TEST_F(EraTest, DiscoverIsOnByDefaultAndSwitchedOffByConfigOrEnvironment) {
    {
        Server server(state_.path(), default_config(state_.path()));
        EXPECT_TRUE(server.request("server/discover").contains("result"));
    }
    {
        json config = default_config(state_.path());
        config["protocol"] = {{"discover", false}};
        Server server(state_.path(), config);
        EXPECT_EQ(server.request("server/discover")["error"]["code"], -32601);
        // The era is still reachable with its _meta.
        EXPECT_EQ(era(server, "tools/list")["result"]["resultType"], "complete");
    }
    {
        json config = default_config(state_.path());
        config["protocol"] = {{"discover", true}};
        Server server(state_.path(), config, {"CLAUDE_JOBS_DISCOVER=0"});
        EXPECT_EQ(server.request("server/discover")["error"]["code"], -32601);
        // Claude Code's fallback: initialize works.
        EXPECT_EQ(server.initialize("2025-11-25")["result"]["protocolVersion"], "2025-11-25");
    }
    {
        json config = default_config(state_.path());
        config["protocol"] = {{"discover", false}};
        Server server(state_.path(), config, {"CLAUDE_JOBS_DISCOVER=1"});
        EXPECT_TRUE(server.request("server/discover").contains("result"));
    }
}

TEST_F(EraTest, AListenStreamTellsItsTaskEnding) {
    Server server(state_.path(), default_config(state_.path()));
    json task = start_task(server, "sleep 1\nsay listened");
    std::string id = task["taskId"];
    json params = {{"notifications", {{"tasksStatus", {id}}}}, {"_meta", era_meta(true)}};
    server.send({{"jsonrpc", "2.0"},
                 {"id", "listen-1"},
                 {"method", "subscriptions/listen"},
                 {"params", params}});
    auto ack = server.wait_message(
        [](const json& m) {
            return m.value("method", "") == "notifications/subscriptions/acknowledged";
        },
        std::chrono::seconds(10));
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["params"]["notifications"]["tasksStatus"], json::array({id}));
    auto done = server.wait_message(
        [](const json& m) {
            return m.value("method", "") == "notifications/tasks/status" &&
                   m["params"].value("status", "") == "completed";
        },
        std::chrono::seconds(30));
    ASSERT_TRUE(done) << server.stderr_text();
    EXPECT_EQ((*done)["params"]["taskId"], id);
    EXPECT_EQ((*done)["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], "listen-1");
    EXPECT_EQ((*done)["params"]["result"]["structuredContent"]["job"]["result"]["text"],
              "listened");
    // The stream ends with the input, answered.
    server.close_stdin();
    EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), 0);
}

}  // namespace
}  // namespace cj::testing

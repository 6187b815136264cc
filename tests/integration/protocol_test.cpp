// The real binary's protocol behaviour over stdio: malformed input of every kind, the
// initialize gate, stdout carrying only protocol messages, and stdin EOF mid-wait.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.h"

namespace cj::testing {
namespace {

class ProtocolTest : public ::testing::Test {
protected:
    TempDir state_{"cj-proto"};
    TempDir work_{"cj-work"};
};

TEST_F(ProtocolTest, MalformedMessagesGetErrorsAndTheServerKeepsServing) {
    Server server(state_.path(), default_config(state_.path()));
    // Before initialize: refused, not crashed; ping works.
    server.send_line(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
    auto early = server.response_for(1, std::chrono::seconds(10));
    ASSERT_TRUE(early);
    EXPECT_TRUE(early->contains("error"));
    server.send_line(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
    auto pong = server.response_for(2, std::chrono::seconds(10));
    ASSERT_TRUE(pong);
    EXPECT_EQ((*pong)["result"], json::object());
    server.initialize();

    struct Case {
        std::string line;
        int code;
    };
    std::vector<Case> cases = {
        {"{not json", -32700},
        {"[]", -32600},
        {R"([{"jsonrpc":"2.0","id":5,"method":"ping"}])", -32600},
        {R"("just a string")", -32600},
        {R"({"jsonrpc":"1.0","id":7,"method":"ping"})", -32600},
        {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", -32600},
        {R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", -32600},
        {R"({"jsonrpc":"2.0","id":8,"method":42})", -32600},
        {R"({"jsonrpc":"2.0","id":9,"method":"no/such"})", -32601},
        {R"({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"nope"}})", -32602},
        {R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"claude_check","arguments":[1]}})", -32602},
    };
    for (const auto& c : cases) {
        server.send_line(c.line);
        auto reply = server.wait_message([](const json& m) { return m.contains("error"); },
                                         std::chrono::seconds(10));
        ASSERT_TRUE(reply) << c.line;
        EXPECT_EQ((*reply)["error"]["code"], c.code) << c.line << " -> " << reply->dump();
    }
    // A notification never gets an answer, even an unknown one.
    server.send_line(R"({"jsonrpc":"2.0","method":"notifications/whatever"})");
    json r = server.request("ping");
    EXPECT_EQ(r["result"], json::object());
    // Ids are echoed exactly.
    server.send_line(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
    auto s = server.response_for("abc", std::chrono::seconds(10));
    ASSERT_TRUE(s);
    server.send_line(R"({"jsonrpc":"2.0","id":-9007199254740991,"method":"ping"})");
    EXPECT_TRUE(server.response_for(-9007199254740991LL, std::chrono::seconds(10)));
    // Wrong argument types are a tool error the model can fix.
    json bad = server.call("claude_start", {{"prompt", 42}});
    EXPECT_TRUE(bad["isError"].get<bool>());
    EXPECT_EQ(bad["structuredContent"]["error"]["code"], "invalid_argument");
    // Every line on stdout was a JSON-RPC message.
    for (const auto& line : server.stdout_lines()) {
        json m = json::parse(line, nullptr, false);
        ASSERT_FALSE(m.is_discarded()) << line;
        EXPECT_EQ(m["jsonrpc"], "2.0") << line;
    }
}

TEST_F(ProtocolTest, HugeLineIsRefusedAndSkipped) {
    json config = default_config(state_.path());
    config["limits"] = {{"maxMessageBytes", 4096}};
    Server server(state_.path(), config);
    server.initialize();
    server.send_line(R"({"jsonrpc":"2.0","id":99,"method":"ping","params":{"pad":")" +
                     std::string(100000, 'x') + "\"}}");
    auto err = server.wait_message([](const json& m) { return m.contains("error"); },
                                   std::chrono::seconds(10));
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["error"]["code"], -32600);
    EXPECT_EQ(server.request("ping")["result"], json::object());
}

// A line nested 200,000 deep (a few hundred KB, far under the size limit) used to overflow the
// server's stack: as a request it is now refused with -32600 and its id, as a notification
// dropped unanswered, and the server goes on serving.
TEST_F(ProtocolTest, DeeplyNestedMessagesAreRefusedAndTheServerKeepsServing) {
    ::signal(SIGPIPE, SIG_IGN);  // a dead server makes send_line throw, not kill the test
    Server server(state_.path(), default_config(state_.path()));
    server.initialize();
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');

    server.send_line(R"({"jsonrpc":"2.0","id":41,"method":"ping","params":{"x":)" + deep + "}}");
    auto refused = server.response_for(41, std::chrono::seconds(20));
    ASSERT_TRUE(refused) << "no answer; server stderr:\n" << server.stderr_text();
    EXPECT_EQ((*refused)["error"]["code"], -32600) << refused->dump();
    EXPECT_EQ((*refused)["error"]["message"], "message nested deeper than 128 levels");

    server.send_line(R"({"jsonrpc":"2.0","method":"n/x","params":{"x":)" + deep + "}}");
    server.send_line(
        R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"claude_check","arguments":)" +
        deep + R"(},"id":"late"})");
    auto late = server.response_for("late", std::chrono::seconds(20));
    ASSERT_TRUE(late) << "no answer; server stderr:\n" << server.stderr_text();
    EXPECT_EQ((*late)["error"]["code"], -32600) << late->dump();

    EXPECT_EQ(server.request("ping")["result"], json::object());
    // Nothing answered the notification: the two refusals are the only errors written.
    int errors = 0;
    for (const auto& line : server.stdout_lines())
        errors += line.find("\"error\"") != std::string::npos;
    EXPECT_EQ(errors, 2);
    server.close_stdin();
    EXPECT_EQ(server.wait_exit(std::chrono::seconds(20)), 0);
}

TEST_F(ProtocolTest, VersionNegotiation) {
    Server server(state_.path(), default_config(state_.path()));
    json r = server.initialize("2025-03-26");
    EXPECT_EQ(r["result"]["protocolVersion"], "2025-03-26");
    Server other(state_.path() + "/b", default_config(state_.path() + "/b"));
    json r2 = other.initialize("1999-01-01");
    EXPECT_EQ(r2["result"]["protocolVersion"], "2025-11-25");
    json tools = other.request("tools/list");
    EXPECT_EQ(tools["result"]["tools"].size(), 8u);
    for (const auto& t : tools["result"]["tools"]) {
        EXPECT_TRUE(t.contains("inputSchema")) << t["name"];
        EXPECT_TRUE(t.contains("outputSchema")) << t["name"];
    }
}

TEST_F(ProtocolTest, StdinEofEndsAWaitPromptlyAndExitsZero) {
    Server server(state_.path(), default_config(state_.path()));
    server.initialize();
    json started = server.ok("claude_start", {{"prompt", "sleep 30"}, {"workFolder", work_.path()}});
    server.send({{"jsonrpc", "2.0"}, {"id", 500}, {"method", "tools/call"},
                 {"params", {{"name", "claude_wait"},
                             {"arguments", {{"jobIds", {started["jobId"]}}, {"timeoutSec", 50}}}}}});
    // Make sure the wait is in flight before closing stdin.
    ASSERT_EQ(server.request("ping")["result"], json::object());
    auto t0 = std::chrono::steady_clock::now();
    server.close_stdin();
    auto reply = server.response_for(500, std::chrono::seconds(10));
    ASSERT_TRUE(reply) << "the in-flight wait was not answered";
    EXPECT_EQ((*reply)["result"]["structuredContent"]["pending"][0], started["jobId"]);
    EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    // The job outlives the server.
    json info = runner_info(state_.path(), started["jobId"]);
    ASSERT_TRUE(info.is_object() && info.contains("childPgid")) << info.dump();
    EXPECT_TRUE(process_alive(info["childPid"].get<pid_t>()));
    pid_t group = info["childPgid"].get<pid_t>(), runner = info["runnerPid"].get<pid_t>();
    ASSERT_GT(group, 1);
    ASSERT_GT(runner, 1);
    ::kill(-group, SIGKILL);
    ::kill(runner, SIGKILL);
}

TEST_F(ProtocolTest, CancelledRequestEndsTheWaitNotTheJob) {
    Server server(state_.path(), default_config(state_.path()));
    server.initialize();
    json started = server.ok("claude_start", {{"prompt", "sleep 3\nsay done"}, {"workFolder", work_.path()}});
    server.send({{"jsonrpc", "2.0"}, {"id", 600}, {"method", "tools/call"},
                 {"params", {{"name", "claude_wait"},
                             {"arguments", {{"jobIds", {started["jobId"]}}, {"timeoutSec", 50}}}}}});
    ASSERT_EQ(server.request("ping")["result"], json::object());
    server.send({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"},
                 {"params", {{"requestId", 600}, {"reason", "user"}}}});
    json view = server.wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "completed") << "cancelling the wait must not cancel the job";
}

TEST_F(ProtocolTest, ProgressNotificationsDuringWait) {
    Server server(state_.path(), default_config(state_.path()));
    server.initialize();
    json started = server.ok("claude_start", {{"prompt", "sleep 2.5\nsay done"}, {"workFolder", work_.path()}});
    json r = server.request("tools/call",
                            {{"name", "claude_wait"},
                             {"arguments", {{"jobIds", {started["jobId"]}}, {"timeoutSec", 20}}},
                             {"_meta", {{"progressToken", "tok-1"}}}});
    EXPECT_EQ(r["result"]["structuredContent"]["done"].size(), 1u);
    auto progress = server.wait_message(
        [](const json& m) { return m.value("method", "") == "notifications/progress"; },
        std::chrono::seconds(1));
    ASSERT_TRUE(progress);
    EXPECT_EQ((*progress)["params"]["progressToken"], "tok-1");
}

}  // namespace
}  // namespace cj::testing

// Tests of the MCP session: McpServer::serve driven through pipes on a thread, with fake tools.
// Every wait is on a condition with a deadline, so a broken server fails a test, never hangs it.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/protocol/mcp_server.h"
#include "core/protocol/resource_face.h"
#include "core/tools/readable.h"

namespace cj::protocol {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kPatience = 10s;  // how long a test waits for something that should happen now

// A flag one thread raises and another waits for.
class Event {
  public:
    void set() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            set_ = true;
        }
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout = kPatience) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, timeout, [this] { return set_; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool set_ = false;
};

// What the "block" tool shares with the test: it waits on its request's CancelToken, so the
// test ends it either through the server (cancellation, EOF) or by firing the token itself.
struct BlockState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::shared_ptr<util::CancelToken>> tokens;
    Event finished;
    bool sawCancel = false;

    bool wait_started(std::size_t count = 1) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, kPatience, [&] { return tokens.size() >= count; });
    }
    void release_all() {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto& token : tokens) token->cancel();
    }
};

tools::Tool make_tool(std::string name,
                      std::function<tools::ToolResult(const json&, tools::RequestContext&)> call) {
    tools::Tool tool;
    tool.name = name;
    tool.title = "Title of " + name;
    tool.description = "Description of " + name;
    tool.inputSchema = {{"type", "object"}, {"properties", json::object()}};
    tool.outputSchema = {{"type", "object"}};
    tool.call = std::move(call);
    return tool;
}

std::vector<tools::Tool> fake_tools(std::shared_ptr<BlockState> block) {
    std::vector<tools::Tool> tools;
    tools.push_back(make_tool("echo", [](const json& args, tools::RequestContext&) {
        tools::ToolResult result{{{"args", args}}, false};
        // args.bulk goes once, in structuredContent, to a client that reads it.
        result.brief = tools::leave_to_structured(result.structured, {"/args/bulk"});
        return result;
    }));
    tools.push_back(make_tool("block", [block](const json&, tools::RequestContext& ctx) {
        {
            std::lock_guard<std::mutex> lock(block->mutex);
            block->tokens.push_back(ctx.cancel);
        }
        block->cv.notify_all();
        // Far longer than any test waits: only a cancellation ends it in time.
        bool cancelled = ctx.cancel->wait_for(std::chrono::minutes(2));
        {
            std::lock_guard<std::mutex> lock(block->mutex);
            block->sawCancel = cancelled;
        }
        block->finished.set();
        return tools::ToolResult{{{"cancelled", cancelled}}, false};
    }));
    tools.push_back(
        make_tool("throw", [](const json&, tools::RequestContext&) -> tools::ToolResult {
            throw std::runtime_error("boom");
        }));
    tools.push_back(make_tool("fail", [](const json&, tools::RequestContext&) {
        return tools::ToolResult{{{"error", {{"code", "not_found"}, {"message", "no job x"}}}},
                                 true};
    }));
    tools.push_back(make_tool("link", [](const json&, tools::RequestContext&) {
        tools::ToolResult result{{{"ok", true}}, false};
        result.links.push_back({{"type", "resource_link"}, {"uri", "fake://a"}, {"name", "a"}});
        return result;
    }));
    tools.push_back(make_tool("progress", [](const json&, tools::RequestContext& ctx) {
        if (ctx.progressToken) {
            ctx.notify("notifications/progress",
                       {{"progressToken", *ctx.progressToken}, {"progress", 1}, {"total", 2}});
        }
        return tools::ToolResult{{{"hadToken", ctx.progressToken.has_value()}}, false};
    }));
    return tools;
}

json request(json id, const std::string& method, json params = nullptr) {
    json r{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", method}};
    if (!params.is_null()) r["params"] = std::move(params);
    return r;
}

json call(json id, const std::string& tool, json arguments = nullptr, json meta = nullptr) {
    json params{{"name", tool}};
    if (!arguments.is_null()) params["arguments"] = std::move(arguments);
    if (!meta.is_null()) params["_meta"] = std::move(meta);
    return request(std::move(id), "tools/call", std::move(params));
}

json notification(const std::string& method, json params = nullptr) {
    json n{{"jsonrpc", "2.0"}, {"method", method}};
    if (!params.is_null()) n["params"] = std::move(params);
    return n;
}

// One serve() call on its own thread, with the test holding the other ends of its pipes.
class ServerRun {
  public:
    explicit ServerRun(ServerOptions options = {},
                       std::shared_ptr<BlockState> block = std::make_shared<BlockState>(),
                       tools::Resources resources = {}, tools::Tasks tasks = {})
        : block_(std::move(block)),
          server_(fake_tools(block_), std::move(options), std::move(resources), std::move(tasks)) {
        int in[2];
        int out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) std::abort();
        serverIn_ = in[0];
        input_ = in[1];
        output_ = out[0];
        serverOut_ = out[1];
        thread_ = std::thread([this] {
            int rc = server_.serve(serverIn_, serverOut_);
            close(serverOut_);  // so the test sees end of output
            result_.set_value(rc);
        });
    }

    ~ServerRun() {
        close_input();
        if (!stopped(kPatience * 3)) {
            // Joining would hang the whole test binary; a hung server is a failure.
            std::fprintf(stderr, "serve() did not return after end of input\n");
            std::abort();
        }
        thread_.join();
        close(serverIn_);
        if (output_ >= 0) close(output_);
    }

    BlockState& block() { return *block_; }
    McpServer& server() { return server_; }

    void send_raw(const std::string& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = write(input_, bytes.data() + done, bytes.size() - done);
            ASSERT_GT(n, 0) << "the server stopped reading";
            done += static_cast<std::size_t>(n);
        }
    }
    void send(const json& message) { send_raw(message.dump() + "\n"); }

    // The next whole line the server wrote, parsed; nullopt on timeout or end of output.
    std::optional<json> next(std::chrono::milliseconds timeout = kPatience) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                json m = json::parse(line, nullptr, false);
                EXPECT_FALSE(m.is_discarded()) << "not JSON: " << line;
                return m;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{output_, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char chunk[65536];
            ssize_t n = read(output_, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // The next message, which must be the response to `id`.
    json response(const json& id) {
        auto m = next();
        if (!m) {
            ADD_FAILURE() << "no response to id " << id.dump();
            return json::object();
        }
        EXPECT_EQ((*m)["id"].dump(), id.dump()) << m->dump();
        return *m;
    }

    json initialize(const std::string& version = "2025-06-18") {
        send(request(0, "initialize",
                     {{"protocolVersion", version},
                      {"capabilities", json::object()},
                      {"clientInfo", {{"name", "test"}, {"version", "1"}}}}));
        json r = response(0);
        send(notification("notifications/initialized"));
        return r;
    }

    void close_input() {
        if (input_ >= 0) close(input_);
        input_ = -1;
    }
    void close_output() {
        if (output_ >= 0) close(output_);
        output_ = -1;
    }

    bool stopped(std::chrono::milliseconds timeout = kPatience) {
        return future_.wait_for(timeout) == std::future_status::ready;
    }
    int exit_code() { return future_.get(); }

    // After serve() returned: every message it wrote that the test has not read yet.
    std::vector<json> drain() {
        std::vector<json> all;
        while (auto m = next()) all.push_back(*m);
        return all;
    }

  private:
    std::shared_ptr<BlockState> block_;
    McpServer server_;
    int serverIn_ = -1;
    int serverOut_ = -1;
    int input_ = -1;
    int output_ = -1;
    std::string buffer_;
    std::promise<int> result_;
    std::shared_future<int> future_ = result_.get_future().share();
    std::thread thread_;
};

int error_code(const json& response) {
    if (!response.contains("error")) {
        ADD_FAILURE() << "not an error response: " << response.dump();
        return 0;
    }
    return response["error"]["code"].get<int>();
}

// --- initialize and the gate ---

TEST(McpServerInit, EchoesEverySupportedVersion) {
    ASSERT_EQ(supported_protocol_versions().front(), "2025-11-25");
    for (const auto& version : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
        ServerRun run;
        json r = run.initialize(version);
        EXPECT_EQ(r["result"]["protocolVersion"], version);
    }
}

TEST(McpServerInit, AnswersNewestForUnknownVersion) {
    ServerRun run;
    json r = run.initialize("1999-01-01");
    EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25");
}

TEST(McpServerInit, ResultShape) {
    ServerOptions options;
    options.name = "claude-jobs-test";
    options.version = "9.9.9";
    options.instructions = "Use claude_start.";
    ServerRun run(options);
    json r = run.initialize();
    EXPECT_EQ(r["jsonrpc"], "2.0");
    const json& result = r["result"];
    EXPECT_EQ(result["capabilities"], json::parse(R"({"tools":{"listChanged":false}})"));
    EXPECT_EQ(result["serverInfo"],
              json::parse(R"({"name":"claude-jobs-test","version":"9.9.9"})"));
    EXPECT_EQ(result["instructions"], "Use claude_start.");
}

TEST(McpServerInit, NoInstructionsWhenNoneConfigured) {
    ServerRun run;
    json r = run.initialize();
    EXPECT_FALSE(r["result"].contains("instructions"));
    EXPECT_FALSE(r["result"]["serverInfo"]["version"].get<std::string>().empty());
}

TEST(McpServerInit, RequestsBeforeInitializeAreRefused) {
    ServerRun run;
    run.send(request(1, "tools/list"));
    json r1 = run.response(1);
    EXPECT_EQ(error_code(r1), -32600);
    EXPECT_NE(r1["error"]["message"].get<std::string>().find("not initialized"), std::string::npos);
    run.send(call(2, "echo"));
    EXPECT_EQ(error_code(run.response(2)), -32600);

    run.initialize();
    run.send(request(3, "tools/list"));
    EXPECT_TRUE(run.response(3).contains("result"));
}

TEST(McpServerInit, PingBeforeInitialize) {
    ServerRun run;
    run.send(request(1, "ping"));
    EXPECT_EQ(run.response(1)["result"], json::object());
}

TEST(McpServerInit, SecondInitializeIsRefused) {
    ServerRun run;
    run.initialize();
    run.send(request(5, "initialize", {{"protocolVersion", "2025-06-18"}}));
    EXPECT_EQ(error_code(run.response(5)), -32600);
}

// --- errors ---

TEST(McpServerErrors, UnparsableLineIsParseErrorWithNullId) {
    ServerRun run;
    run.send_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\n");
    json r = run.response(nullptr);
    EXPECT_EQ(error_code(r), -32700);
    EXPECT_TRUE(r.contains("id"));
}

TEST(McpServerErrors, BatchGetsOneInvalidRequest) {
    ServerRun run;
    run.initialize();
    run.send(json::array({request(1, "ping"), request(2, "ping")}));
    EXPECT_EQ(error_code(run.response(nullptr)), -32600);
    run.send(request(3, "ping"));
    run.response(3);  // nothing else came in between
}

TEST(McpServerErrors, NonObjectIsInvalidRequest) {
    ServerRun run;
    for (const char* line : {"42\n", "\"ping\"\n", "null\n"}) {
        run.send_raw(line);
        EXPECT_EQ(error_code(run.response(nullptr)), -32600) << line;
    }
}

TEST(McpServerErrors, InvalidRequestEchoesAUsableId) {
    ServerRun run;
    run.send_raw(R"({"jsonrpc":"1.0","id":3,"method":"ping"})"
                 "\n");
    EXPECT_EQ(error_code(run.response(3)), -32600);
    run.send_raw(R"({"jsonrpc":"2.0","id":"m","method":7})"
                 "\n");
    EXPECT_EQ(error_code(run.response("m")), -32600);
}

TEST(McpServerErrors, BadIdTypesGetInvalidRequestWithNullId) {
    ServerRun run;
    for (const char* id : {"{}", "[1]", "1.5", "true", "null", "18446744073709551615"}) {
        run.send_raw(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}\n");
        EXPECT_EQ(error_code(run.response(nullptr)), -32600) << id;
    }
}

TEST(McpServerErrors, UnknownMethodAndUnadvertisedListsAreMethodNotFound) {
    ServerRun run;
    run.initialize();
    int id = 1;
    for (const char* method : {"no/such/method", "resources/list", "prompts/list"}) {
        run.send(request(id, method));
        EXPECT_EQ(error_code(run.response(id)), -32601) << method;
        ++id;
    }
}

// A name the client sent is quoted back short: a megabyte-long method is not echoed whole.
TEST(McpServerErrors, AHugeMethodOrToolNameIsNotEchoedBack) {
    ServerRun run;
    run.initialize();
    std::string huge(1 << 20, 'm');
    run.send(request(1, huge));
    json reply = run.response(1);
    EXPECT_EQ(error_code(reply), -32601);
    std::string message = reply["error"]["message"];
    EXPECT_LT(message.size(), 140u);
    EXPECT_NE(message.find("mmm..."), std::string::npos) << message;
    run.send(request(2, "tools/call", {{"name", huge}}));
    message = run.response(2)["error"]["message"];
    EXPECT_LT(message.size(), 140u);
    EXPECT_NE(message.find("mmm..."), std::string::npos) << message;
}

TEST(McpServerErrors, BadToolsCallParamsAreInvalidParams) {
    ServerRun run;
    run.initialize();
    std::vector<json> params = {
        {{"name", "no_such_tool"}},
        {{"name", "echo"}, {"arguments", json::array()}},
        {{"name", "echo"}, {"arguments", "text"}},
        {{"arguments", json::object()}},
        {{"name", 5}},
    };
    int id = 1;
    for (const auto& p : params) {
        run.send(request(id, "tools/call", p));
        EXPECT_EQ(error_code(run.response(id)), -32602) << p.dump();
        ++id;
    }
    run.send(request(id, "tools/call"));
    EXPECT_EQ(error_code(run.response(id)), -32602);
}

TEST(McpServerErrors, HugeLineIsRefusedAndTheNextIsServed) {
    ServerOptions options;
    options.maxMessageBytes = 1024;
    ServerRun run(options);
    std::string huge = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" +
                       std::string(5000, 'x') + "\"}}";
    run.send_raw(huge + "\n");
    json r = run.response(nullptr);
    EXPECT_EQ(error_code(r), -32600);
    EXPECT_EQ(r["error"]["message"],
              "message too large: " + std::to_string(huge.size()) + " bytes, limit 1024");
    run.send(request(2, "ping"));
    run.response(2);
}

TEST(McpServerErrors, LineOfExactlyTheLimitIsServed) {
    ServerOptions options;
    options.maxMessageBytes = 1024;
    ServerRun run(options);
    std::string line = request(1, "ping").dump();
    line += std::string(1024 - line.size(), ' ');
    run.send_raw(line + "\r\n");
    EXPECT_EQ(run.response(1)["result"], json::object());
}

TEST(McpServerErrors, CrLfAndEmptyLinesAreTolerated) {
    ServerRun run;
    run.send_raw("\n\r\n   \n" + request(1, "ping").dump() + "\r\n\n");
    run.send(request(2, "ping"));
    run.response(1);
    run.response(2);
}

TEST(McpServerErrors, NotificationsAreNeverAnswered) {
    ServerRun run;
    run.initialize();
    run.send(notification("notifications/unknown", {{"x", 1}}));
    run.send(notification("tools/call", {{"name", "echo"}}));
    run.send(notification("no/such/method"));
    run.send_raw(R"({"jsonrpc":"1.0","method":"ping"})"
                 "\n");
    run.send_raw(R"({"jsonrpc":"2.0","method":5})"
                 "\n");
    run.send(notification("notifications/cancelled", {{"requestId", 12345}}));
    run.send(notification("notifications/cancelled", "not an object"));
    run.send(request(99, "ping"));
    run.response(99);
}

TEST(McpServerErrors, ClientResponsesAreIgnored) {
    ServerRun run;
    run.initialize();
    run.send_raw(R"({"jsonrpc":"2.0","id":9,"result":{}})"
                 "\n");
    run.send_raw(R"({"jsonrpc":"2.0","id":10,"error":{"code":-1,"message":"x"}})"
                 "\n");
    run.send(request(11, "ping"));
    run.response(11);
}

// --- ids ---

TEST(McpServerIds, EchoedExactly) {
    ServerRun run;
    run.initialize();
    std::vector<json> ids = {7,
                             -42,
                             std::numeric_limits<std::int64_t>::max(),
                             std::numeric_limits<std::int64_t>::min(),
                             9007199254740993LL,
                             "abc",
                             "0",
                             ""};
    for (const auto& id : ids) {
        run.send(request(id, "ping"));
        run.response(id);  // compares the id's exact text, so "0" is not 0
        run.send(call(id, "echo"));
        run.response(id);
    }
}

// --- tools ---

TEST(McpServerTools, ListShape) {
    ServerRun run;
    run.initialize();
    run.send(request(1, "tools/list", json::object()));
    json tools = run.response(1)["result"]["tools"];
    ASSERT_TRUE(tools.is_array());
    ASSERT_EQ(tools.size(), 6u);
    EXPECT_EQ(tools[0]["name"], "echo");
    EXPECT_EQ(tools[0]["title"], "Title of echo");
    EXPECT_EQ(tools[0]["description"], "Description of echo");
    EXPECT_EQ(tools[0]["inputSchema"], json::parse(R"({"type":"object","properties":{}})"));
    EXPECT_EQ(tools[0]["outputSchema"], json::parse(R"({"type":"object"})"));
}

TEST(McpServerTools, CallResultShape) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "echo", {{"x", 1}}));
    json result = run.response(1)["result"];
    EXPECT_EQ(result["isError"], false);
    EXPECT_EQ(result["structuredContent"], json::parse(R"({"args":{"x":1}})"));
    ASSERT_EQ(result["content"].size(), 1u);
    EXPECT_EQ(result["content"][0]["type"], "text");
    // The text block says the same for a model to read, not the same JSON again.
    EXPECT_EQ(result["content"][0]["text"], "args:\n  x: 1\n");
}

// A client without structuredContent (before 2025-06-18) reads everything in the text block;
// one with it reads the brief there, and the bulk once, in structuredContent.
TEST(McpServerTools, TextBlockIsTheBriefOnlyForAClientThatReadsStructuredContent) {
    const json args = {{"bulk", "row one\nrow two"}, {"x", 1}};
    const std::string everything = "args:\n  x: 1\n  bulk:\n    row one\n    row two\n";
    const std::string brief = "args:\n  bulk: (15 bytes, in structuredContent)\n  x: 1\n";
    for (auto [version, text] : {std::pair{"2024-11-05", everything},
                                 {"2025-03-26", everything},
                                 {"2025-06-18", brief},
                                 {"2025-11-25", brief}}) {
        ServerRun run;
        run.initialize(version);
        run.send(call(1, "echo", args));
        json result = run.response(1)["result"];
        EXPECT_EQ(result["content"][0]["text"], text) << version;
        EXPECT_EQ(result["structuredContent"]["args"], args) << version;
    }
}

TEST(McpServerTools, MissingArgumentsBecomeEmptyObject) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "echo"));
    EXPECT_EQ(run.response(1)["result"]["structuredContent"]["args"], json::object());
}

TEST(McpServerTools, ToolErrorIsAResultNotAProtocolError) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "fail"));
    json result = run.response(1)["result"];
    EXPECT_EQ(result["isError"], true);
    EXPECT_EQ(result["structuredContent"]["error"]["code"], "not_found");
}

TEST(McpServerTools, ThrowingToolIsAnInternalToolError) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "throw"));
    json result = run.response(1)["result"];
    EXPECT_EQ(result["isError"], true);
    EXPECT_EQ(result["structuredContent"]["error"]["code"], "internal");
    EXPECT_EQ(result["structuredContent"]["error"]["message"], "boom");
    // The server is still fine.
    run.send(request(2, "ping"));
    run.response(2);
}

TEST(McpServerTools, ProgressNotificationCarriesTheToken) {
    ServerRun run;
    run.initialize();
    for (json token : {json("tok-1"), json(5)}) {
        run.send(call(1, "progress", json::object(), {{"progressToken", token}}));
        auto progress = run.next();
        ASSERT_TRUE(progress.has_value());
        EXPECT_EQ((*progress)["method"], "notifications/progress");
        EXPECT_FALSE(progress->contains("id"));
        EXPECT_EQ((*progress)["params"]["progressToken"].dump(), token.dump());
        EXPECT_EQ(run.response(1)["result"]["structuredContent"]["hadToken"], true);
    }
    run.send(call(2, "progress"));
    EXPECT_EQ(run.response(2)["result"]["structuredContent"]["hadToken"], false);
}

// --- concurrency and cancellation ---

TEST(McpServerConcurrency, BlockedCallDoesNotDelayOthers) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "block"));
    ASSERT_TRUE(run.block().wait_started());
    run.send(request(2, "ping"));
    run.response(2);
    run.send(call(3, "echo"));
    run.response(3);
    run.block().release_all();
    EXPECT_EQ(run.response(1)["result"]["structuredContent"]["cancelled"], true);
}

TEST(McpServerConcurrency, BeyondTheCapIsServerBusy) {
    ServerOptions options;
    options.maxConcurrentRequests = 1;
    ServerRun run(options);
    run.initialize();
    run.send(call(1, "block"));
    ASSERT_TRUE(run.block().wait_started());
    run.send(call(2, "echo"));
    EXPECT_EQ(error_code(run.response(2)), -32000);
    run.send(request(3, "ping"));  // cheap requests are still answered
    run.response(3);
    run.block().release_all();
    run.response(1);
    run.send(call(4, "echo"));
    EXPECT_TRUE(run.response(4).contains("result"));
}

TEST(McpServerConcurrency, DuplicateInFlightIdIsRefused) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "block"));
    ASSERT_TRUE(run.block().wait_started());
    run.send(call(1, "echo"));
    EXPECT_EQ(error_code(run.response(1)), -32600);
    run.block().release_all();
    EXPECT_TRUE(run.response(1).contains("result"));
}

TEST(McpServerConcurrency, CancelledCallEndsAndIsNotAnswered) {
    ServerRun run;
    run.initialize();
    run.send(call("c1", "block"));
    ASSERT_TRUE(run.block().wait_started());
    run.send(notification("notifications/cancelled", {{"requestId", "c1"}, {"reason", "user"}}));
    ASSERT_TRUE(run.block().finished.wait());
    {
        std::lock_guard<std::mutex> lock(run.block().mutex);
        EXPECT_TRUE(run.block().sawCancel);
    }
    run.send(request(2, "ping"));
    run.response(2);
    // serve() returns only after every worker is done, so whatever it would have written
    // for "c1" is in the output by then.
    run.close_input();
    ASSERT_TRUE(run.stopped());
    for (const auto& m : run.drain()) {
        EXPECT_FALSE(m.contains("id") && m["id"] == "c1") << m.dump();
    }
}

// --- resources ---

// Two resources, fake://a and fake://b; b cannot be read.
tools::Resources fake_resources() {
    tools::Resources r;
    r.templates = {{"fake://{name}", "fake", "A fake", "One of two", "text/plain"}};
    r.list = [](const std::string& cursor) -> claude_jobs::Result<tools::ResourcePage> {
        tools::ResourcePage page;
        if (cursor.empty()) {
            page.resources.push_back({{"uri", "fake://a"}, {"name", "a"}});
            page.nextCursor = "2";
        } else if (cursor == "2") {
            page.resources.push_back({{"uri", "fake://b"}, {"name", "b"}});
        } else {
            return claude_jobs::make_error(claude_jobs::ErrorCode::InvalidArgument, "bad cursor");
        }
        return page;
    };
    r.read = [](const std::string& uri) -> claude_jobs::Result<json> {
        if (uri != "fake://a")
            return claude_jobs::make_error(claude_jobs::ErrorCode::NotFound, "no " + uri);
        return json::array({{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "A"}}});
    };
    r.exists = [](const std::string& uri) { return uri == "fake://a" || uri == "fake://b"; };
    return r;
}

TEST(McpServerResources, OfferedOnlyWhenThereAreResources) {
    ServerRun without;
    EXPECT_FALSE(without.initialize()["result"]["capabilities"].contains("resources"));
    without.send(request(1, "resources/list"));
    EXPECT_EQ(error_code(without.response(1)), kMethodNotFound);

    ServerRun with({}, std::make_shared<BlockState>(), fake_resources());
    EXPECT_EQ(with.initialize()["result"]["capabilities"]["resources"],
              json::parse(R"({"subscribe":true,"listChanged":false})"));
}

TEST(McpServerResources, ListPagesTemplatesAndRead) {
    ServerRun run({}, std::make_shared<BlockState>(), fake_resources());
    run.initialize();
    run.send(request(1, "resources/list"));
    json first = run.response(1)["result"];
    EXPECT_EQ(first["resources"][0]["uri"], "fake://a");
    ASSERT_EQ(first["nextCursor"], "2");
    run.send(request(2, "resources/list", {{"cursor", "2"}}));
    json second = run.response(2)["result"];
    EXPECT_EQ(second["resources"][0]["uri"], "fake://b");
    EXPECT_FALSE(second.contains("nextCursor"));
    run.send(request(3, "resources/list", {{"cursor", "x"}}));
    EXPECT_EQ(error_code(run.response(3)), kInvalidParams);

    run.send(request(4, "resources/templates/list"));
    EXPECT_EQ(run.response(4)["result"]["resourceTemplates"][0]["uriTemplate"], "fake://{name}");

    run.send(request(5, "resources/read", {{"uri", "fake://a"}}));
    EXPECT_EQ(run.response(5)["result"]["contents"][0]["text"], "A");
    run.send(request(6, "resources/read", {{"uri", "fake://b"}}));
    json missing = run.response(6);
    EXPECT_EQ(error_code(missing), kResourceNotFound);
    EXPECT_EQ(missing["error"]["data"]["uri"], "fake://b");
    run.send(request(7, "resources/read", {{"uri", 7}}));
    EXPECT_EQ(error_code(run.response(7)), kInvalidParams);
    run.send(request(8, "resources/read", {{"uri", std::string(5000, 'x')}}));
    json longUri = run.response(8);
    EXPECT_EQ(error_code(longUri), kInvalidParams);
    EXPECT_LT(longUri.dump().size(), 400u) << "a long URI is not echoed back";
}

TEST(McpServerResources, OnlySubscribedUrisAreAnnouncedUntilUnsubscribed) {
    ServerRun run({}, std::make_shared<BlockState>(), fake_resources());
    run.initialize();
    run.send(request(1, "resources/subscribe", {{"uri", "fake://nothing"}}));
    EXPECT_EQ(error_code(run.response(1)), kResourceNotFound);
    run.send(request(2, "resources/subscribe", {{"uri", "fake://a"}}));
    EXPECT_EQ(run.response(2)["result"], json::object());

    run.server().resource_updated("fake://b");  // not subscribed: nothing is sent
    run.server().resource_updated("fake://a");
    auto told = run.next();
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["method"], "notifications/resources/updated");
    EXPECT_EQ((*told)["params"], json::parse(R"({"uri":"fake://a"})"));

    run.send(request(3, "resources/unsubscribe", {{"uri", "fake://a"}}));
    EXPECT_EQ(run.response(3)["result"], json::object());
    run.server().resource_updated("fake://a");
    run.send(request(4, "ping"));
    EXPECT_EQ(run.response(4)["result"], json::object())
        << "the ping's answer comes next, no update";
}

TEST(McpServerResources, AToolsLinksFollowItsTextBlock) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "link"));
    json content = run.response(1)["result"]["content"];
    ASSERT_EQ(content.size(), 2u);
    EXPECT_EQ(content[0]["type"], "text");
    EXPECT_EQ(content[1]["type"], "resource_link");
    EXPECT_EQ(content[1]["uri"], "fake://a");
}

// --- end of input and closed output ---

TEST(McpServerShutdown, EofAnswersBlockedCallAndReturnsPromptly) {
    ServerRun run;
    run.initialize();
    run.send(call(1, "block"));
    ASSERT_TRUE(run.block().wait_started());
    auto start = std::chrono::steady_clock::now();
    run.close_input();
    ASSERT_TRUE(run.stopped(5s)) << "serve() waited for the tool instead of cancelling it";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(run.exit_code(), 0);
    auto rest = run.drain();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0]["id"], 1);
    EXPECT_EQ(rest[0]["result"]["structuredContent"]["cancelled"], true);
}

TEST(McpServerShutdown, EofWhenIdleReturnsZero) {
    ServerRun run;
    run.initialize();
    run.close_input();
    ASSERT_TRUE(run.stopped());
    EXPECT_EQ(run.exit_code(), 0);
}

TEST(McpServerShutdown, ClosedOutputStopsQuietly) {
    ServerRun run;
    run.close_output();
    // The first answer hits EPIPE (not SIGPIPE, which would kill this test binary); the
    // server then stops without waiting for end of input.
    run.send(request(1, "ping"));
    run.send(request(2, "ping"));
    ASSERT_TRUE(run.stopped());
    EXPECT_EQ(run.exit_code(), 0);
}

// --- tasks (the 2025-11-25 utility; the wire itself in task_face_test.cpp) ---

// "echo" runs as a task; the one task is "t1", working, and status changes are told by hand.
// Each server's session watches from its own thread, so the watchers are kept under a lock,
// one per session, and told from the test's thread.
struct FakeTasks {
    tools::TaskInfo t1() const {
        tools::TaskInfo t;
        t.taskId = "t1";
        t.status = "working";
        t.createdAt = t.lastUpdatedAt = 1764000000000;
        t.pollIntervalMs = 1000;
        return t;
    }
    std::size_t watching() {
        std::lock_guard lock(mutex_);
        return watchers_.size();
    }
    void tell(const tools::TaskInfo& task) {
        std::lock_guard lock(mutex_);
        for (auto& [id, watcher] : watchers_) watcher(task);
    }
    tools::Tasks provider() {
        tools::Tasks t;
        t.taskTools = {"echo"};
        t.create = [this](const std::string&, const json&, std::optional<std::int64_t>,
                          tools::RequestContext&) -> claude_jobs::Result<tools::TaskInfo> {
            return t1();
        };
        t.get = [this](const std::string& id) -> claude_jobs::Result<tools::TaskInfo> {
            if (id != "t1")
                return claude_jobs::make_error(claude_jobs::ErrorCode::NotFound, "no task");
            return t1();
        };
        t.watch = [this](std::function<void(const tools::TaskInfo&)> f) {
            std::lock_guard lock(mutex_);
            int id = nextId_++;
            watchers_.emplace(id, std::move(f));
            return std::function<void()>([this, id] {
                std::lock_guard lock(mutex_);
                watchers_.erase(id);
            });
        };
        return t;
    }

  private:
    std::mutex mutex_;
    int nextId_ = 0;
    std::map<int, std::function<void(const tools::TaskInfo&)>> watchers_;
};

TEST(McpServerTasks, OfferedOnlyFor20251125) {
    FakeTasks fake;
    ServerRun old({}, std::make_shared<BlockState>(), {}, fake.provider());
    EXPECT_FALSE(old.initialize("2025-06-18")["result"]["capabilities"].contains("tasks"));
    old.send(request(1, "tasks/get", {{"taskId", "t1"}}));
    EXPECT_EQ(error_code(old.response(1)), kMethodNotFound);
    old.send(request(2, "tools/list"));
    // The reply is held by name: a range over a part of a temporary outlives the temporary.
    const json oldTools = old.response(2)["result"]["tools"];
    for (const auto& tool : oldTools) EXPECT_FALSE(tool.contains("execution"));
    // Before tasks are agreed, params.task is ignored: the call is an ordinary one.
    old.send(request(3, "tools/call",
                     {{"name", "echo"}, {"arguments", {{"x", 1}}}, {"task", json::object()}}));
    EXPECT_EQ(old.response(3)["result"]["structuredContent"]["args"]["x"], 1);

    ServerRun now({}, std::make_shared<BlockState>(), {}, fake.provider());
    EXPECT_EQ(now.initialize("2025-11-25")["result"]["capabilities"]["tasks"],
              json::parse(R"({"list":{},"cancel":{},"requests":{"tools":{"call":{}}}})"));
    now.send(request(1, "tools/list"));
    const json nowTools = now.response(1)["result"]["tools"];
    for (const auto& tool : nowTools) {
        if (tool["name"] == "echo") {
            EXPECT_EQ(tool["execution"]["taskSupport"], "optional");
        } else {
            EXPECT_FALSE(tool.contains("execution")) << tool["name"];
        }
    }
}

TEST(McpServerTasks, ATaskAugmentedCallCreatesATaskAndStatusChangesAreTold) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    run.initialize("2025-11-25");
    run.send(request(1, "tools/call",
                     {{"name", "echo"}, {"arguments", json::object()}, {"task", {{"ttl", 1000}}}}));
    json created = run.response(1)["result"];
    EXPECT_EQ(created["task"]["taskId"], "t1");
    EXPECT_EQ(created["task"]["status"], "working");
    EXPECT_FALSE(created.contains("content")) << "a CreateTaskResult, not the tool's result";
    run.send(request(2, "tools/call", {{"name", "block"}, {"task", json::object()}}));
    EXPECT_EQ(error_code(run.response(2)), kMethodNotFound) << "a tool without task support";
    run.send(request(3, "tasks/get", {{"taskId", "nope"}}));
    EXPECT_EQ(error_code(run.response(3)), kInvalidParams);

    ASSERT_EQ(fake.watching(), 1u) << "the session watches its tasks";
    tools::TaskInfo done = fake.t1();
    done.status = "completed";
    done.pollIntervalMs = 0;
    fake.tell(done);
    auto told = run.next();
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["method"], "notifications/tasks/status");
    EXPECT_EQ((*told)["params"]["taskId"], "t1");
    EXPECT_EQ((*told)["params"]["status"], "completed");
}

// --- the 2026-07-28 era (per-request _meta, server/discover, the tasks extension) ---

json era_meta(bool tasks = false) {
    json caps = json::object();
    if (tasks) caps["extensions"] = {{"io.modelcontextprotocol/tasks", json::object()}};
    return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
            {"io.modelcontextprotocol/clientCapabilities", caps},
            {"io.modelcontextprotocol/clientInfo", {{"name", "era-test"}, {"version", "2"}}}};
}

json era_request(json id, const std::string& method, json params = json::object(),
                 bool tasks = false) {
    params["_meta"] = era_meta(tasks);
    return request(std::move(id), method, std::move(params));
}

TEST(McpServerEra, DiscoverAnswersWithoutInitialize) {
    FakeTasks fake;
    ServerOptions options;
    options.instructions = "Use claude_start.";
    options.discover = true;
    ServerRun run(options, std::make_shared<BlockState>(), {}, fake.provider());
    run.send(request(1, "server/discover"));
    json r = run.response(1)["result"];
    EXPECT_EQ(r["supportedVersions"], json::array({"2026-07-28"}));
    EXPECT_EQ(r["resultType"], "complete");
    EXPECT_EQ(r["ttlMs"], 0);
    EXPECT_EQ(r["cacheScope"], "private");
    EXPECT_EQ(r["instructions"], "Use claude_start.");
    EXPECT_EQ(r["capabilities"]["extensions"],
              json::parse(R"({"io.modelcontextprotocol/tasks":{}})"));
    EXPECT_FALSE(r["capabilities"].contains("tasks")) << "no 2025 tasks capability in this era";
    EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "claude-jobs");
    // Discovery chose no era: initialize still works afterwards.
    EXPECT_EQ(run.initialize("2025-11-25")["result"]["protocolVersion"], "2025-11-25");
}

TEST(McpServerEra, DiscoverSwitchedOff) {
    ServerOptions options;
    options.discover = false;
    ServerRun run(options);
    run.send(request(1, "server/discover"));
    EXPECT_EQ(error_code(run.response(1)), kMethodNotFound);
    // The era stays reachable for a client that sends its _meta.
    run.send(era_request(2, "tools/list"));
    EXPECT_EQ(run.response(2)["result"]["resultType"], "complete");
}

TEST(McpServerEra, PerRequestMetaWithoutInitialize) {
    ServerRun run;
    run.send(era_request(1, "tools/list"));
    json list = run.response(1)["result"];
    EXPECT_EQ(list["resultType"], "complete");
    EXPECT_EQ(list["ttlMs"], 0);
    EXPECT_EQ(list["cacheScope"], "private");
    EXPECT_FALSE(list["tools"].empty());
    run.send(era_request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"x", 7}}}}));
    json called = run.response(2)["result"];
    EXPECT_EQ(called["resultType"], "complete");
    EXPECT_EQ(called["structuredContent"]["args"]["x"], 7);
    run.send(era_request(3, "ping"));
    EXPECT_EQ(run.response(3)["result"]["resultType"], "complete");
}

TEST(McpServerEra, ErasDoNotMixOnOneConnection) {
    {
        ServerRun run;
        run.send(era_request(1, "tools/list"));
        EXPECT_TRUE(run.response(1).contains("result"));
        run.send(request(2, "tools/list"));
        json r = run.response(2);
        EXPECT_EQ(error_code(r), kInvalidRequest);
        EXPECT_NE(r["error"]["message"].get<std::string>().find("2026-07-28"), std::string::npos);
        run.send(request(3, "initialize",
                         {{"protocolVersion", "2025-11-25"},
                          {"capabilities", json::object()},
                          {"clientInfo", {{"name", "t"}, {"version", "1"}}}}));
        EXPECT_EQ(error_code(run.response(3)), kInvalidRequest);
        run.send(era_request(4, "tools/list"));
        EXPECT_TRUE(run.response(4).contains("result")) << "the server stays up";
    }
    {
        ServerRun run;
        run.initialize("2025-11-25");
        run.send(era_request(1, "tools/list"));
        json r = run.response(1);
        EXPECT_EQ(error_code(r), kInvalidRequest);
        EXPECT_NE(r["error"]["message"].get<std::string>().find("one era"), std::string::npos);
        run.send(request(2, "tools/list"));
        EXPECT_FALSE(run.response(2)["result"].contains("resultType"));
    }
}

TEST(McpServerEra, NeitherInitializeNorMetaIsRefused) {
    ServerRun run;
    run.send(request(1, "tools/list"));
    json r = run.response(1);
    EXPECT_EQ(error_code(r), kInvalidRequest);
    EXPECT_NE(r["error"]["message"].get<std::string>().find("protocolVersion"), std::string::npos);
}

TEST(McpServerEra, UnsupportedVersionNamesTheSupportedOnes) {
    ServerRun run;
    json params = {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2099-01-01"}}}};
    run.send(request(1, "tools/list", params));
    json r = run.response(1);
    EXPECT_EQ(error_code(r), -32022);
    EXPECT_EQ(r["error"]["data"]["supported"], json::array({"2026-07-28"}));
    EXPECT_EQ(r["error"]["data"]["requested"], "2099-01-01");
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = 42;
    run.send(request(2, "tools/list", params));
    EXPECT_EQ(error_code(run.response(2)), kInvalidRequest);
    // Neither chose the era.
    EXPECT_EQ(run.initialize("2025-11-25")["result"]["protocolVersion"], "2025-11-25");
}

TEST(McpServerEra, TasksExtensionFaceAndItsErrors) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    // Without the extension declared, a task tool answers as a plain call.
    run.send(era_request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"x", 1}}}}));
    json plain = run.response(1)["result"];
    EXPECT_EQ(plain["resultType"], "complete");
    EXPECT_EQ(plain["structuredContent"]["args"]["x"], 1);
    // Declared: the job is a task.
    run.send(era_request(2, "tools/call", {{"name", "echo"}, {"arguments", json::object()}}, true));
    json task = run.response(2)["result"];
    EXPECT_EQ(task["resultType"], "task");
    EXPECT_EQ(task["taskId"], "t1");
    EXPECT_EQ(task["status"], "working");
    EXPECT_EQ(task["pollIntervalMs"], 1000);
    EXPECT_TRUE(task.contains("ttlMs"));
    EXPECT_FALSE(task.contains("content"));
    run.send(era_request(3, "tasks/get", {{"taskId", "t1"}}, true));
    json got = run.response(3)["result"];
    EXPECT_EQ(got["resultType"], "complete");
    EXPECT_EQ(got["status"], "working");
    // A task method without the extension declared: -32021 naming it.
    run.send(era_request(4, "tasks/get", {{"taskId", "t1"}}));
    json missing = run.response(4);
    EXPECT_EQ(error_code(missing), -32021);
    EXPECT_EQ(missing["error"]["data"]["requiredCapabilities"]["extensions"],
              json::parse(R"({"io.modelcontextprotocol/tasks":{}})"));
    // The 2025 utility's methods are not in this era.
    run.send(era_request(5, "tasks/result", {{"taskId", "t1"}}, true));
    EXPECT_EQ(error_code(run.response(5)), kMethodNotFound);
    run.send(era_request(6, "tasks/list", json::object(), true));
    EXPECT_EQ(error_code(run.response(6)), kMethodNotFound);
    // Unknown and hostile ids are invalid params; the server stays up.
    run.send(era_request(7, "tasks/get", {{"taskId", "../../etc/passwd"}}, true));
    EXPECT_EQ(error_code(run.response(7)), kInvalidParams);
    run.send(era_request(8, "tasks/get", {{"taskId", std::string(5000, 'x')}}, true));
    json longId = run.response(8);
    EXPECT_EQ(error_code(longId), kInvalidParams);
    EXPECT_LT(longId.dump().size(), 1000u) << "a huge id is not echoed";
    run.send(era_request(9, "tasks/get", {{"taskId", 12}}, true));
    EXPECT_EQ(error_code(run.response(9)), kInvalidParams);
    run.send(era_request(10, "ping"));
    EXPECT_TRUE(run.response(10).contains("result"));
}

TEST(McpServerEra, TasksUpdateIsNotInThe2025Utility) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    run.initialize("2025-11-25");
    run.send(request(1, "tasks/update", {{"taskId", "t1"}, {"inputResponses", json::object()}}));
    EXPECT_EQ(error_code(run.response(1)), kMethodNotFound);
}

TEST(McpServerEra, NoTaskStatusNotificationsOutsideAListenStream) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    run.send(era_request(1, "tools/list"));
    run.response(1);
    ASSERT_GE(fake.watching(), 1u);
    tools::TaskInfo done = fake.t1();
    done.status = "completed";
    fake.tell(done);
    run.send(era_request(2, "ping"));
    EXPECT_EQ(run.response(2)["id"], 2) << "the status change was not sent unasked";
}

TEST(McpServerEra, ResourceNotFoundIsInvalidParamsAndSubscribeIsGone) {
    tools::Resources resources;
    resources.list = [](const std::string&) -> claude_jobs::Result<tools::ResourcePage> {
        return tools::ResourcePage{};
    };
    resources.read = [](const std::string& uri) -> claude_jobs::Result<json> {
        return claude_jobs::make_error(claude_jobs::ErrorCode::NotFound, "no job " + uri);
    };
    resources.exists = [](const std::string&) { return false; };
    ServerRun run({}, std::make_shared<BlockState>(), resources);
    run.send(era_request(1, "resources/read", {{"uri", "claude-jobs://job/nope"}}));
    json r = run.response(1);
    EXPECT_EQ(error_code(r), kInvalidParams) << r.dump();
    EXPECT_EQ(r["error"]["data"]["uri"], "claude-jobs://job/nope");
    run.send(era_request(2, "resources/list"));
    json list = run.response(2)["result"];
    EXPECT_EQ(list["ttlMs"], 0);
    EXPECT_EQ(list["cacheScope"], "private");
    run.send(era_request(3, "resources/subscribe", {{"uri", "claude-jobs://job/a"}}));
    EXPECT_EQ(error_code(run.response(3)), kMethodNotFound);
}

TEST(McpServerEra, ListenTellsTheListedTasksUntilCancelled) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    run.send(era_request(
        "sub", "subscriptions/listen",
        {{"notifications", {{"tasksStatus", {"t1", "nope"}}, {"toolsListChanged", true}}}}, true));
    auto ack = run.next();
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["method"], "notifications/subscriptions/acknowledged");
    EXPECT_EQ((*ack)["params"]["notifications"], json::parse(R"({"tasksStatus":["t1"]})"))
        << "only this connection's tasks, and no list changes";
    EXPECT_EQ((*ack)["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub");
    ASSERT_GE(fake.watching(), 1u);
    tools::TaskInfo other = fake.t1();
    other.taskId = "t2";
    fake.tell(other);  // not listed: not told
    tools::TaskInfo working = fake.t1();
    working.statusMessage = "running";
    fake.tell(working);
    auto told = run.next();
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["method"], "notifications/tasks/status");
    EXPECT_EQ((*told)["params"]["taskId"], "t1");
    EXPECT_EQ((*told)["params"]["statusMessage"], "running");
    EXPECT_EQ((*told)["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub");
    // The stream stays open while other requests are served.
    run.send(era_request(2, "ping"));
    EXPECT_EQ(run.response(2)["id"], 2);
    // At the end of input the stream is closed with its result.
    run.close_input();
    ASSERT_TRUE(run.stopped());
    auto rest = run.drain();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0]["id"], "sub");
    EXPECT_EQ(rest[0]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], "sub");
    EXPECT_EQ(rest[0]["result"]["resultType"], "complete");
}

TEST(McpServerEra, ListenRefusals) {
    FakeTasks fake;
    ServerRun run({}, std::make_shared<BlockState>(), {}, fake.provider());
    run.send(era_request(1, "subscriptions/listen", json::object(), true));
    EXPECT_EQ(error_code(run.response(1)), kInvalidParams);
    run.send(
        era_request(2, "subscriptions/listen", {{"notifications", {{"tasksStatus", "t1"}}}}, true));
    EXPECT_EQ(error_code(run.response(2)), kInvalidParams);
    ServerRun old({}, std::make_shared<BlockState>(), {}, fake.provider());
    old.initialize("2025-11-25");
    old.send(request(1, "subscriptions/listen", {{"notifications", json::object()}}));
    EXPECT_EQ(error_code(old.response(1)), kMethodNotFound);
}

}  // namespace
}  // namespace cj::protocol

// Tests of the JSON-RPC layer below the MCP session: message classification, id handling,
// line framing with its size limit, and whole-line serialized writes.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/protocol/line_reader.h"
#include "core/protocol/message_writer.h"
#include "core/util/json_input.h"

namespace cj::protocol {
namespace {

using nlohmann::json;

template <typename T>
const T& as(const Message& message) {
    EXPECT_TRUE(std::holds_alternative<T>(message)) << "variant index " << message.index();
    static const T empty{};
    return std::holds_alternative<T>(message) ? std::get<T>(message) : empty;
}

TEST(JsonrpcMessage, RequestWithIntegerId) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":1}})");
    const auto& r = as<Request>(m);
    EXPECT_EQ(r.id, RequestId{std::int64_t{7}});
    EXPECT_EQ(r.method, "ping");
    EXPECT_EQ(r.params, json({{"a", 1}}));
}

TEST(JsonrpcMessage, RequestWithoutParamsHasNullParams) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":"x","method":"ping"})");
    const auto& r = as<Request>(m);
    EXPECT_EQ(r.id, RequestId{std::string("x")});
    EXPECT_TRUE(r.params.is_null());
}

TEST(JsonrpcMessage, NotificationHasNoIdMember) {
    auto m = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    EXPECT_EQ(as<Notification>(m).method, "notifications/initialized");
}

TEST(JsonrpcMessage, NullIdIsAnInvalidRequestNotANotification) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
    const auto& inv = as<Invalid>(m);
    EXPECT_EQ(inv.error.code, kInvalidRequest);
    EXPECT_FALSE(inv.id.has_value());
}

TEST(JsonrpcMessage, UnparsableIsParseError) {
    for (const char* text : {"{", "not json", "{\"jsonrpc\":\"2.0\",}", "\xff\xfe"}) {
        auto m = parse_message(text);
        EXPECT_EQ(as<Invalid>(m).error.code, kParseError) << text;
        EXPECT_FALSE(as<Invalid>(m).id.has_value());
    }
}

TEST(JsonrpcMessage, BatchIsRefusedAsOneInvalidRequest) {
    auto m = parse_message(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    EXPECT_EQ(as<Invalid>(m).error.code, kInvalidRequest);
    EXPECT_EQ(as<Invalid>(parse_message("[]")).error.code, kInvalidRequest);
}

TEST(JsonrpcMessage, NonObjectsAreInvalidRequests) {
    for (const char* text : {"42", "\"ping\"", "null", "true"}) {
        EXPECT_EQ(as<Invalid>(parse_message(text)).error.code, kInvalidRequest) << text;
    }
}

TEST(JsonrpcMessage, BadIdTypesAreInvalidWithNullId) {
    for (const char* id : {"{}", "[1]", "1.5", "1.0", "true", "18446744073709551615"}) {
        std::string text = std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}";
        auto m = parse_message(text);
        EXPECT_EQ(as<Invalid>(m).error.code, kInvalidRequest) << id;
        EXPECT_FALSE(as<Invalid>(m).id.has_value()) << id;
    }
}

TEST(JsonrpcMessage, InvalidRequestKeepsAUsableId) {
    auto wrongVersion = parse_message(R"({"jsonrpc":"1.0","id":3,"method":"ping"})");
    EXPECT_EQ(as<Invalid>(wrongVersion).id, RequestId{std::int64_t{3}});
    auto noVersion = parse_message(R"({"id":"a","method":"ping"})");
    EXPECT_EQ(as<Invalid>(noVersion).id, RequestId{std::string("a")});
    auto methodNumber = parse_message(R"({"jsonrpc":"2.0","id":4,"method":5})");
    EXPECT_EQ(as<Invalid>(methodNumber).id, RequestId{std::int64_t{4}});
    auto noMethod = parse_message(R"({"jsonrpc":"2.0","id":5})");
    EXPECT_EQ(as<Invalid>(noMethod).id, RequestId{std::int64_t{5}});
    auto scalarParams = parse_message(R"({"jsonrpc":"2.0","id":6,"method":"ping","params":3})");
    EXPECT_EQ(as<Invalid>(scalarParams).error.code, kInvalidRequest);
}

// MCP's params are named: positional params (an array), valid JSON-RPC, are refused.
TEST(JsonrpcMessage, ParamsGivenAsAnArrayAreRefused) {
    auto request = parse_message(R"({"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1]})");
    ASSERT_TRUE(std::holds_alternative<Invalid>(request));
    EXPECT_EQ(as<Invalid>(request).id, RequestId{std::int64_t{6}});
    EXPECT_EQ(as<Invalid>(request).error.code, kInvalidParams);
    EXPECT_NE(as<Invalid>(request).error.message.find("object"), std::string::npos);
    EXPECT_TRUE(std::holds_alternative<Discarded>(
        parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized","params":[]})")));
}

TEST(JsonrpcMessage, BrokenNotificationsAreDiscardedNotAnswered) {
    for (const char* text : {R"({"jsonrpc":"1.0","method":"x"})", R"({"jsonrpc":"2.0","method":5})",
                             R"({"jsonrpc":"2.0","method":"x","params":"s"})"}) {
        EXPECT_TRUE(std::holds_alternative<Discarded>(parse_message(text))) << text;
    }
}

TEST(JsonrpcMessage, ClientResponsesAreRecognised) {
    auto ok = parse_message(R"({"jsonrpc":"2.0","id":9,"result":{}})");
    EXPECT_EQ(as<Response>(ok).id, RequestId{std::int64_t{9}});
    auto err = parse_message(R"({"jsonrpc":"2.0","id":"r","error":{"code":-1,"message":"no"}})");
    ASSERT_TRUE(as<Response>(err).error.has_value());
    EXPECT_EQ(as<Response>(err).error->code, -1);
    EXPECT_TRUE(std::holds_alternative<Discarded>(
        parse_message(R"({"jsonrpc":"2.0","id":null,"result":{}})")));
}

// Brackets nested `depth` deep: "[[...]]".
std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// A line nested exactly `depth` deep: the message object and its params are two of the levels.
std::string request_nested(const std::string& id, std::size_t depth) {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping","params":{"x":)" +
           nested(depth - 2) + "}}";
}

const std::string kTooDeep =
    "nested deeper than " + std::to_string(util::kMaxJsonDepth) + " levels";

TEST(JsonrpcDepth, RequestAtTheLimitIsAccepted) {
    auto m = parse_message(request_nested("1", util::kMaxJsonDepth));
    EXPECT_EQ(as<Request>(m).params["x"].size(), 1u);
}

TEST(JsonrpcDepth, RequestOneLevelDeeperIsAnInvalidRequestWithItsId) {
    auto m = parse_message(request_nested("2", util::kMaxJsonDepth + 1));
    const auto& inv = as<Invalid>(m);
    EXPECT_EQ(inv.error.code, kInvalidRequest);
    EXPECT_EQ(inv.id, RequestId{std::int64_t{2}});
    EXPECT_NE(inv.error.message.find(kTooDeep), std::string::npos) << inv.error.message;
}

TEST(JsonrpcDepth, VeryDeepRequestIsRefusedWithoutCrashing) {
    auto m = parse_message(request_nested("\"deep\"", 200000));
    const auto& inv = as<Invalid>(m);
    EXPECT_EQ(inv.error.code, kInvalidRequest);
    EXPECT_EQ(inv.id, RequestId{std::string("deep")});
}

TEST(JsonrpcDepth, AnIdAfterTheDeepPartIsStillEchoed) {
    auto m = parse_message(R"({"jsonrpc":"2.0","method":"ping","params":{"x":)" + nested(200000) +
                           R"(},"id":3})");
    EXPECT_EQ(as<Invalid>(m).id, RequestId{std::int64_t{3}});
    EXPECT_EQ(as<Invalid>(m).error.code, kInvalidRequest);
}

TEST(JsonrpcDepth, DeepNotificationIsDiscardedNotAnswered) {
    auto m =
        parse_message(R"({"jsonrpc":"2.0","method":"n/x","params":{"x":)" + nested(200000) + "}}");
    ASSERT_TRUE(std::holds_alternative<Discarded>(m)) << "variant index " << m.index();
    EXPECT_NE(std::get<Discarded>(m).why.find(kTooDeep), std::string::npos);
}

TEST(JsonrpcDepth, DeepBatchOrBareArrayIsAnInvalidRequestWithoutId) {
    auto m = parse_message(nested(200000));
    EXPECT_EQ(as<Invalid>(m).error.code, kInvalidRequest);
    EXPECT_FALSE(as<Invalid>(m).id.has_value());
}

TEST(JsonrpcDepth, DeepAndBrokenIsAParseError) {
    auto m = parse_message(R"({"jsonrpc":"2.0","id":4,"method":"ping","params":)" +
                           std::string(200000, '['));
    EXPECT_EQ(as<Invalid>(m).error.code, kParseError);
}

TEST(JsonrpcIds, EchoExactly) {
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    const std::int64_t min = std::numeric_limits<std::int64_t>::min();
    for (json id : {json(0), json(-42), json(max), json(min), json(9007199254740993LL), json("0"),
                    json(""), json("abc")}) {
        auto parsed = parse_id(json::parse(id.dump()));
        ASSERT_TRUE(parsed.has_value()) << id.dump();
        EXPECT_EQ(make_result(*parsed, json::object())["id"].dump(), id.dump());
    }
}

TEST(JsonrpcIds, IntegerAndStringAreDifferentIds) {
    EXPECT_NE(parse_id(json(1)), parse_id(json("1")));
}

TEST(JsonrpcBuild, ErrorResponseShape) {
    json e = make_error(std::nullopt, Error{kParseError, "bad", nullptr});
    EXPECT_EQ(
        e, json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})"));
    json withData = make_error(RequestId{std::int64_t{1}}, Error{kInvalidParams, "x", {{"k", 1}}});
    EXPECT_EQ(withData["error"]["data"], json({{"k", 1}}));
}

TEST(JsonrpcBuild, SerializeIsOneLineEvenWithNewlinesAndBadUtf8) {
    std::string line = serialize(make_notification("m", {{"text", "a\nb\r\n\xff"}}));
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_FALSE(json::parse(line, nullptr, false).is_discarded());
}

// Feeds `input` through a pipe (from a thread, so inputs larger than the pipe work) and
// returns everything the reader produced.
std::vector<LineReader::Item> read_all(const std::string& input, std::size_t limit,
                                       std::size_t chunk = 64 * 1024) {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    std::thread writer([&] {
        std::size_t done = 0;
        while (done < input.size()) {
            ssize_t n = write(fds[1], input.data() + done, input.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        close(fds[1]);
    });
    LineReader reader(fds[0], limit, chunk);
    std::vector<LineReader::Item> items;
    for (;;) {
        auto item = reader.next();
        if (item.kind == LineReader::Kind::End) break;
        items.push_back(std::move(item));
    }
    writer.join();
    close(fds[0]);
    return items;
}

TEST(JsonrpcLineReader, SplitsLinesAndStripsCarriageReturn) {
    auto items = read_all("one\r\ntwo\n\nthree", 100, 2);
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].text, "one");
    EXPECT_EQ(items[1].text, "two");
    EXPECT_EQ(items[2].text, "");
    EXPECT_EQ(items[3].text, "three");
    for (const auto& item : items) EXPECT_EQ(item.kind, LineReader::Kind::Line);
}

TEST(JsonrpcLineReader, LineAtTheLimitIsKept) {
    std::string line(16, 'a');
    auto items = read_all(line + "\n" + line + "\r\n", 16, 5);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].text, line);
    EXPECT_EQ(items[1].kind, LineReader::Kind::Line);
    EXPECT_EQ(items[1].text, line);
}

TEST(JsonrpcLineReader, OversizedLineIsReportedWithItsSizeAndSkipped) {
    std::string huge(1'000'000, 'x');
    auto items = read_all("before\n" + huge + "\nafter\n" + std::string(17, 'y') + "\n", 16);
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].text, "before");
    EXPECT_EQ(items[1].kind, LineReader::Kind::TooLong);
    EXPECT_EQ(items[1].size, huge.size());
    EXPECT_TRUE(items[1].text.empty());
    EXPECT_EQ(items[2].text, "after");
    EXPECT_EQ(items[3].kind, LineReader::Kind::TooLong);
    EXPECT_EQ(items[3].size, 17u);
}

TEST(JsonrpcLineReader, OversizedLastLineWithoutNewline) {
    auto items = read_all(std::string(100, 'z'), 10, 7);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].kind, LineReader::Kind::TooLong);
    EXPECT_EQ(items[0].size, 100u);
}

TEST(JsonrpcWriter, ConcurrentSendsStayWholeLines) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    MessageWriter writer(fds[1]);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 20;
    // Bigger than a pipe's buffer, so each write is split into partial writes.
    const std::string payload(200 * 1024, 'p');

    std::string received;
    std::thread reader([&] {
        char buf[65536];
        for (;;) {
            ssize_t n = read(fds[0], buf, sizeof buf);
            if (n <= 0) break;
            received.append(buf, static_cast<std::size_t>(n));
        }
    });
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
        senders.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                EXPECT_TRUE(writer.send(make_notification("m", {{"t", t}, {"p", payload}})));
            }
        });
    }
    for (auto& s : senders) s.join();
    close(fds[1]);
    reader.join();
    close(fds[0]);

    int lines = 0;
    std::size_t start = 0;
    while (start < received.size()) {
        std::size_t end = received.find('\n', start);
        ASSERT_NE(end, std::string::npos);
        json m = json::parse(received.substr(start, end - start), nullptr, false);
        ASSERT_FALSE(m.is_discarded()) << "line " << lines << " is interleaved";
        EXPECT_EQ(m["params"]["p"].get_ref<const std::string&>().size(), payload.size());
        ++lines;
        start = end + 1;
    }
    EXPECT_EQ(lines, kThreads * kPerThread);
}

TEST(JsonrpcWriter, ClosedOutputMakesItBrokenNotDead) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);

    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    MessageWriter writer(fds[1]);
    EXPECT_FALSE(writer.broken());
    EXPECT_FALSE(writer.send(make_notification("m", json::object())));
    EXPECT_TRUE(writer.broken());
    EXPECT_FALSE(writer.send(make_notification("m", json::object())));
    close(fds[1]);
}

}  // namespace
}  // namespace cj::protocol

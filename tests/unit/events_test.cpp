// Tests of reading claude's stream-json log: the scanner's summary whatever the chunking,
// and the readable transcript.
#include "core/transcript/events.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using cj::transcript::EventScanner;
using cj::transcript::render_event;
using cj::transcript::render_lines;
using cj::transcript::RenderedSpan;
using cj::transcript::ResultSummary;
using nlohmann::json;

const std::string kInit =
    R"({"type":"system","subtype":"init","session_id":"sess-1","model":"claude-test","tools":[]})";
const std::string kText1 =
    R"({"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[{"type":"text","text":"Looking at the files\nnow"}]},"session_id":"sess-1"})";
const std::string kTool1 =
    R"({"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"Bash","input":{"command":"ls -la\necho done","description":"List"}}]},"session_id":"sess-1"})";
const std::string kUser =
    R"({"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"a.txt\nb.txt"}]},"session_id":"sess-1"})";
const std::string kText2 =
    R"({"type":"assistant","message":{"id":"msg_2","role":"assistant","content":[{"type":"text","text":"All done: two files."}]},"session_id":"sess-1"})";
const std::string kResult =
    R"({"type":"result","subtype":"success","is_error":false,"duration_ms":4567,"num_turns":2,"result":"All done: two files.","session_id":"sess-1","total_cost_usd":0.0123,"permission_denials":[{"tool_name":"Write"}],"api_error_status":null})";

std::string stream() {
    std::string s;
    for (const auto* line : {&kInit, &kText1, &kTool1, &kUser, &kText2, &kResult}) s += *line + "\n";
    return s;
}

// An assistant event as the CLI writes it, "type" first (json::dump would sort the keys).
std::string assistant_line(const json& message) {
    return R"({"type":"assistant","message":)" + message.dump() + "}\n";
}

struct Summary {
    std::int64_t turns;
    std::string lastText, lastTool, sessionId;
    std::optional<json> result;
    std::uint64_t consumed;
    bool operator==(const Summary&) const = default;
};

Summary summary(const EventScanner& s) {
    std::optional<json> r;
    if (s.result()) r = s.result()->to_json();
    return {s.activity().turns, s.activity().lastText, s.activity().lastTool, s.sessionId(), r,
            s.consumed()};
}

void PrintTo(const Summary& s, std::ostream* os) {
    *os << "turns=" << s.turns << " lastText=" << s.lastText << " lastTool=" << s.lastTool
        << " session=" << s.sessionId << " result=" << (s.result ? s.result->dump() : "none")
        << " consumed=" << s.consumed;
}

TEST(EventsTest, ScannerSummarisesAStream) {
    EventScanner scanner;
    std::string all = stream();
    scanner.feed(all);
    EXPECT_EQ(scanner.consumed(), all.size());
    EXPECT_EQ(scanner.activity().turns, 2);
    EXPECT_EQ(scanner.activity().lastText, "All done: two files.");
    EXPECT_EQ(scanner.activity().lastTool, "Bash: ls -la echo done");
    EXPECT_EQ(scanner.sessionId(), "sess-1");

    ASSERT_TRUE(scanner.result().has_value());
    const ResultSummary& r = *scanner.result();
    EXPECT_EQ(r.text, "All done: two files.");
    EXPECT_FALSE(r.isError);
    EXPECT_EQ(r.subtype, "success");
    EXPECT_EQ(r.numTurns, 2);
    EXPECT_DOUBLE_EQ(r.costUsd, 0.0123);
    EXPECT_EQ(r.durationMs, 4567);
    EXPECT_EQ(r.sessionId, "sess-1");
    EXPECT_EQ(r.permissionDenials, json::parse(R"([{"tool_name":"Write"}])"));
    EXPECT_EQ(r.apiErrorStatus, "");
}

TEST(EventsTest, ChunkingNeverChangesTheSummary) {
    std::string all = stream();
    EventScanner whole;
    whole.feed(all);
    Summary expected = summary(whole);

    EventScanner bytewise;
    for (char c : all) bytewise.feed(std::string_view(&c, 1));
    EXPECT_EQ(summary(bytewise), expected) << "fed byte by byte";

    for (std::size_t cut = 0; cut <= all.size(); cut += 7) {
        EventScanner two;
        two.feed(std::string_view(all).substr(0, cut));
        two.feed(std::string_view(all).substr(cut));
        EXPECT_EQ(summary(two), expected) << "split at " << cut;
    }

    std::mt19937 rng(12345);
    for (int round = 0; round < 50; ++round) {
        EventScanner scanner;
        std::size_t at = 0;
        while (at < all.size()) {
            std::size_t n = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
            scanner.feed(std::string_view(all).substr(at, n));
            at += n;
        }
        EXPECT_EQ(summary(scanner), expected) << "round " << round;
    }
}

TEST(EventsTest, UnfinishedLineWaitsForItsNewline) {
    EventScanner scanner;
    std::string text = kText1 + "\n";
    scanner.feed(kInit + "\n" + text.substr(0, text.size() - 1));
    EXPECT_EQ(scanner.consumed(), kInit.size() + 1);
    EXPECT_EQ(scanner.activity().turns, 0);
    EXPECT_EQ(scanner.sessionId(), "sess-1");
    scanner.feed("\n");
    EXPECT_EQ(scanner.consumed(), kInit.size() + 1 + text.size());
    EXPECT_EQ(scanner.activity().turns, 1);
    EXPECT_EQ(scanner.activity().lastText, "Looking at the files now");
}

TEST(EventsTest, TurnsCountOneAssistantMessageOnce) {
    auto msg = [](const std::string& id, const std::string& text) {
        json content = json::array({{{"type", "text"}, {"text", text}}});
        json message = {{"role", "assistant"}, {"content", content}};
        if (!id.empty()) message["id"] = id;
        return assistant_line(message);
    };
    EventScanner scanner;
    scanner.feed(msg("m1", "a") + msg("m1", "b") + msg("m1", "c"));
    EXPECT_EQ(scanner.activity().turns, 1);
    scanner.feed(msg("m2", "d") + msg("m2", "e"));
    EXPECT_EQ(scanner.activity().turns, 2);
    scanner.feed(kUser + "\n" + msg("m3", "f"));
    EXPECT_EQ(scanner.activity().turns, 3);
    EXPECT_EQ(scanner.activity().lastText, "f");
    // Without an id each event is its own message.
    scanner.feed(msg("", "g") + msg("", "h"));
    EXPECT_EQ(scanner.activity().turns, 5);
}

// A tool call with a very large input (a Write of a big file) is still a block of the same
// message: it must not count as one more turn.
TEST(EventsTest, HugeBlockOfTheSameMessageIsNotAnotherTurn) {
    // Written as the CLI writes it: "type" first.
    std::string line =
        R"({"type":"assistant","message":{"id":"msg_1","role":"assistant","content":[)"
        R"({"type":"tool_use","id":"tu_9","name":"Write","input":{"file_path":"/tmp/big.txt",)"
        R"("content":")" +
        std::string(5 << 20, 'w') + R"("}}]},"session_id":"sess-1"})" + "\n";
    EventScanner scanner;
    scanner.feed(kText1 + "\n");
    ASSERT_EQ(scanner.activity().turns, 1);
    scanner.feed(line);
    EXPECT_EQ(scanner.consumed(), kText1.size() + 1 + line.size());
    EXPECT_EQ(scanner.activity().turns, 1);
    scanner.feed(kText2 + "\n");
    EXPECT_EQ(scanner.activity().turns, 2);
}

TEST(EventsTest, UserToolResultsAreIgnored) {
    EventScanner scanner;
    scanner.feed(
        R"({"type":"user","message":{"id":"u1","role":"user","content":[{"type":"text","text":"user words"},{"type":"tool_use","name":"Evil","input":{}}]}})"
        "\n");
    EXPECT_EQ(scanner.activity().turns, 0);
    EXPECT_EQ(scanner.activity().lastText, "");
    EXPECT_EQ(scanner.activity().lastTool, "");
    EXPECT_FALSE(scanner.result().has_value());
}

// The same user event with its fields in another order (or spaced out) is still a user
// event: it must not count as an assistant turn.
TEST(EventsTest, UserEventsAreIgnoredWhateverTheirKeyOrder) {
    EventScanner scanner;
    scanner.feed(
        R"({"message":{"role":"user","content":[{"type":"text","text":"user words"}]},"type":"user"})"
        "\n");
    scanner.feed(
        R"({ "type": "user", "message": {"role":"user","content":[{"type":"tool_use","name":"Evil","input":{}}]}})"
        "\n");
    EXPECT_EQ(scanner.activity().turns, 0);
    EXPECT_EQ(scanner.activity().lastText, "");
    EXPECT_EQ(scanner.activity().lastTool, "");
}

TEST(EventsTest, AssistantEventWithAnotherKeyOrderIsStillRead) {
    EventScanner scanner;
    scanner.feed(
        R"({"message":{"id":"m1","content":[{"type":"text","text":"hi"}]},"type":"assistant"})"
        "\n");
    EXPECT_EQ(scanner.activity().turns, 1);
    EXPECT_EQ(scanner.activity().lastText, "hi");
}

TEST(EventsTest, MalformedLinesAreSkipped) {
    EventScanner scanner;
    std::string junk =
        "not json at all\n"
        "{\"type\":\"assistant\",\"message\":\n"
        "[1,2,3]\n"
        "\"a string\"\n"
        "{}\n"
        "\n"
        "{\"type\":\"assistant\",\"message\":\"not an object\"}\n"
        "{\"type\":\"assistant\",\"message\":{\"id\":\"x\",\"content\":\"not an array\"}}\n"
        "{\"type\":\"result\",\"result\":42,\"is_error\":false}\n"
        "\x01\x02\xff\xfe\n";
    scanner.feed(junk);
    EXPECT_EQ(scanner.consumed(), junk.size());
    scanner.feed(stream());
    EXPECT_EQ(scanner.consumed(), junk.size() + stream().size());
    EXPECT_EQ(scanner.sessionId(), "sess-1");
    EXPECT_EQ(scanner.activity().lastText, "All done: two files.");
    ASSERT_TRUE(scanner.result().has_value());
    EXPECT_EQ(scanner.result()->text, "All done: two files.");
}

// events.jsonl is whatever the job's program printed: a result event with odd field types
// must neither throw out of the scanner or the renderer nor stop later lines being read.
TEST(EventsTest, WrongTypedResultFieldsNeverThrow) {
    for (const char* line :
         {R"({"type":"result","subtype":"success","is_error":"yes","result":"r"})",
          R"({"type":"result","subtype":"success","is_error":null,"result":"r"})",
          R"({"type":"result","subtype":"success","num_turns":"2","result":"r"})",
          R"({"type":"result","subtype":"success","total_cost_usd":null,"result":"r"})",
          R"({"type":"result","subtype":"success","duration_ms":{},"result":"r"})"}) {
        EventScanner scanner;
        EXPECT_NO_THROW(scanner.feed(std::string(line) + "\n" + kText2 + "\n")) << line;
        EXPECT_EQ(scanner.activity().lastText, "All done: two files.") << line;
        EXPECT_NO_THROW(render_event(line)) << line;
    }
}

// A job can print anything, nested as deep as it likes: a line deeper than the JSON limit is
// skipped like a malformed one (it used to overflow the stack when copied or dumped), and the
// lines around it are still read.
TEST(EventsTest, DeeplyNestedLinesAreSkippedWithoutCrashing) {
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    const std::string deepTool =
        R"({"type":"assistant","message":{"id":"msg_9","role":"assistant","content":[{"type":"tool_use","id":"tu_9","name":"Bash","input":{"command":)" +
        deep + "}}]}}";
    const std::string deepResult =
        R"({"type":"result","subtype":"success","is_error":false,"result":"deep","session_id":"sess-9","permission_denials":)" +
        deep + "}";
    EventScanner scanner;
    std::string log = kInit + "\n" + kText1 + "\n" + deepTool + "\n" + deepResult + "\n";
    scanner.feed(log);
    EXPECT_EQ(scanner.consumed(), log.size());
    EXPECT_EQ(scanner.activity().turns, 1);
    EXPECT_EQ(scanner.activity().lastTool, "");
    EXPECT_FALSE(scanner.result().has_value());
    EXPECT_EQ(scanner.sessionId(), "sess-1");
    scanner.feed(kResult + "\n");
    ASSERT_TRUE(scanner.result().has_value());
    EXPECT_EQ(scanner.result()->text, "All done: two files.");

    // The transcript shows such a line as text, cut short, like any line that is not an event.
    for (const std::string* line : {&deepTool, &deepResult}) {
        std::string shown = render_event(*line);
        EXPECT_LE(shown.size(), 2001u);
        EXPECT_EQ(shown.back(), '\n');
    }
    RenderedSpan span = render_lines(log, 1 << 20);
    EXPECT_EQ(span.consumed, log.size());
}

TEST(EventsTest, ErrorResultIsParsed) {
    EventScanner scanner;
    scanner.feed(kInit + "\n");
    scanner.feed(
        R"({"type":"result","subtype":"error_during_execution","is_error":true,"result":"API Error: 401 Invalid API key","session_id":"sess-2","num_turns":1,"total_cost_usd":0,"api_error_status":401})"
        "\n");
    ASSERT_TRUE(scanner.result().has_value());
    EXPECT_TRUE(scanner.result()->isError);
    EXPECT_EQ(scanner.result()->subtype, "error_during_execution");
    EXPECT_EQ(scanner.result()->text, "API Error: 401 Invalid API key");
    EXPECT_EQ(scanner.result()->numTurns, 1);
    EXPECT_EQ(scanner.result()->apiErrorStatus, "401");
    // The result's session id is the one a resume needs.
    EXPECT_EQ(scanner.sessionId(), "sess-2");
}

TEST(EventsTest, LastToolIsOneShortLine) {
    std::string command(5000, 'x');
    command.replace(10, 1, "\n");
    command.replace(20, 1, "\t");
    json event = {{"type", "assistant"},
                  {"message",
                   {{"id", "m"},
                    {"content",
                     json::array({{{"type", "tool_use"},
                                   {"name", "Bash"},
                                   {"input", {{"command", command}}}}})}}}};
    EventScanner scanner;
    scanner.feed(assistant_line(event["message"]));
    const std::string& tool = scanner.activity().lastTool;
    EXPECT_EQ(tool.rfind("Bash: xxxxxxxxxx x", 0), 0u) << tool;
    EXPECT_EQ(tool.find('\n'), std::string::npos);
    EXPECT_EQ(tool.find('\t'), std::string::npos);
    EXPECT_LE(tool.size(), 200u);
    EXPECT_GT(tool.size(), 100u);
}

TEST(EventsTest, LastToolPicksTheTellingInputField) {
    auto tool = [](const std::string& name, const json& input) {
        json event = {{"type", "assistant"},
                      {"message",
                       {{"id", name},
                        {"content", json::array({{{"type", "tool_use"},
                                                  {"name", name},
                                                  {"input", input}}})}}}};
        EventScanner scanner;
        scanner.feed(assistant_line(event["message"]));
        return scanner.activity().lastTool;
    };
    EXPECT_EQ(tool("Read", {{"file_path", "/src/a.cpp"}, {"limit", 10}}), "Read: /src/a.cpp");
    EXPECT_EQ(tool("Grep", {{"pattern", "TODO"}, {"path", "/src"}}), "Grep: /src");
    EXPECT_EQ(tool("WebFetch", {{"url", "https://example.com"}}), "WebFetch: https://example.com");
    EXPECT_EQ(tool("Custom", {{"n", 1}}), R"(Custom: {"n":1})");
    EXPECT_EQ(tool("NoInput", json::object()), "NoInput");
}

TEST(EventsTest, LastTextIsOneLineAndShort) {
    json event = {{"type", "assistant"},
                  {"message",
                   {{"id", "m"},
                    {"content", json::array({{{"type", "text"},
                                              {"text", "line one\nline two\n" + std::string(2000, 'y')}}})}}}};
    EventScanner scanner;
    scanner.feed(assistant_line(event["message"]));
    const std::string& text = scanner.activity().lastText;
    EXPECT_EQ(text.rfind("line one line two y", 0), 0u) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_LE(text.size(), 300u);
}

TEST(EventsTest, ResultSummaryRoundTripsThroughTheJobViewNames) {
    ResultSummary r;
    r.text = "done";
    r.sessionId = "s";
    r.isError = true;
    r.subtype = "error_max_turns";
    r.numTurns = 7;
    r.costUsd = 1.25;
    r.durationMs = 99;
    r.permissionDenials = json::array({"x"});
    json j = r.to_json();
    EXPECT_EQ(j["text"], "done");
    EXPECT_EQ(j["isError"], true);
    EXPECT_EQ(j["numTurns"], 7);
    auto back = ResultSummary::from_json(j);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->to_json(), j);
    EXPECT_FALSE(ResultSummary::from_json(json::array()).has_value());
    EXPECT_FALSE(ResultSummary::from_json(json("text")).has_value());
}

TEST(EventsTest, RenderEventText) {
    EXPECT_EQ(render_event(kText1), "Looking at the files\nnow\n");
    EXPECT_EQ(render_event(
                  R"({"type":"assistant","message":{"content":[{"type":"text","text":"ends\n"}]}})"),
              "ends\n");
    EXPECT_EQ(render_event(kText2), "All done: two files.\n");
}

TEST(EventsTest, RenderEventToolCall) {
    EXPECT_EQ(render_event(kTool1), "▸ Bash: ls -la echo done\n");
    EXPECT_EQ(
        render_event(
            R"({"type":"assistant","message":{"content":[{"type":"text","text":"Reading."},{"type":"tool_use","name":"Read","input":{"file_path":"/a/b.txt"}}]}})"),
        "Reading.\n▸ Read: /a/b.txt\n");
}

TEST(EventsTest, RenderEventInitAndResult) {
    EXPECT_EQ(render_event(kInit), "[session sess-1, model claude-test]\n");
    EXPECT_EQ(render_event(kResult), "[done: success, 2 turns, $0.0123]\n");
    EXPECT_EQ(
        render_event(
            R"({"type":"result","subtype":"error_during_execution","is_error":true,"num_turns":3})"),
        "[error: error_during_execution, 3 turns]\n");
}

// The CLI reports some failures with subtype "success": the line says what failed instead.
TEST(EventsTest, AFailedResultNeverReadsErrorSuccess) {
    EXPECT_EQ(
        render_event(
            R"({"type":"result","subtype":"success","is_error":true,"num_turns":1,"api_error_status":529,"result":"API Error: 529 Overloaded"})"),
        "[error: API error 529, 1 turns]\n");
    EXPECT_EQ(
        render_event(
            R"({"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"Claude exited with code 3"})"),
        "[error: Claude exited with code 3, 1 turns]\n");
    EXPECT_EQ(render_event(R"({"type":"result","subtype":"success","is_error":true,"result":""})"),
              "[error: failed]\n");
}

TEST(EventsTest, RenderEventApiRetry) {
    std::string out = render_event(
        R"({"type":"system","subtype":"api_retry","attempt":2,"error":{"status":529}})");
    EXPECT_EQ(out.rfind("[API retry 2: ", 0), 0u) << out;
    EXPECT_NE(out.find("529"), std::string::npos);
    EXPECT_EQ(out.back(), '\n');
}

TEST(EventsTest, RenderEventSkipsWhatAReaderNeedNotSee) {
    EXPECT_EQ(render_event(kUser), "");
    EXPECT_EQ(render_event(""), "");
    EXPECT_EQ(render_event(R"({"type":"system","subtype":"other"})"), "");
    EXPECT_EQ(render_event(R"({"type":"stream_event"})"), "");
    EXPECT_EQ(render_event(R"({"type":"assistant","message":"x"})"), "");
}

TEST(EventsTest, RenderEventShowsNonJsonLinesAsTheyAre) {
    EXPECT_EQ(render_event("plain words from a wrapper"), "plain words from a wrapper\n");
    EXPECT_EQ(render_event("[1,2]"), "[1,2]\n");
    std::string hostile = "bell\x07 escape\x1b[31m red\ttab";
    std::string out = render_event(hostile);
    EXPECT_EQ(out, "bell escape[31m red tab\n");
}

TEST(EventsTest, RenderLinesStopsBeforePassingMaxBytes) {
    std::string a = R"({"type":"assistant","message":{"content":[{"type":"text","text":"aaaa"}]}})";
    std::string b = R"({"type":"assistant","message":{"content":[{"type":"text","text":"bbbb"}]}})";
    std::string c = R"({"type":"assistant","message":{"content":[{"type":"text","text":"cccc"}]}})";
    std::string chunk = a + "\n" + b + "\n" + c + "\n";

    RenderedSpan all = render_lines(chunk, 1000);
    EXPECT_EQ(all.text, "aaaa\nbbbb\ncccc\n");
    EXPECT_EQ(all.consumed, chunk.size());

    RenderedSpan two = render_lines(chunk, 10);
    EXPECT_EQ(two.text, "aaaa\nbbbb\n");
    EXPECT_EQ(two.consumed, a.size() + 1 + b.size() + 1);

    RenderedSpan justUnder = render_lines(chunk, 14);
    EXPECT_EQ(justUnder.text, "aaaa\nbbbb\n");

    // Resuming at `consumed` continues exactly where it stopped.
    RenderedSpan rest = render_lines(std::string_view(chunk).substr(two.consumed), 10);
    EXPECT_EQ(rest.text, "cccc\n");
    EXPECT_EQ(two.consumed + rest.consumed, chunk.size());
}

TEST(EventsTest, RenderLinesAlwaysTakesAtLeastOneLine) {
    // Otherwise a reader paging with the returned offset would never get past a long line.
    std::string big = json{{"type", "assistant"},
                           {"message",
                            {{"content", json::array({{{"type", "text"},
                                                       {"text", std::string(100, 'z')}}})}}}}
                          .dump() +
                      "\n";
    RenderedSpan span = render_lines(big, 10);
    EXPECT_EQ(span.consumed, big.size());
    EXPECT_FALSE(span.text.empty());
}

TEST(EventsTest, RenderLinesLeavesAnUnfinishedLine) {
    std::string done = kText2 + "\n";
    std::string partial = kText1.substr(0, 30);
    RenderedSpan span = render_lines(done + partial, 100000);
    EXPECT_EQ(span.text, "All done: two files.\n");
    EXPECT_EQ(span.consumed, done.size());

    RenderedSpan nothing = render_lines(partial, 100000);
    EXPECT_EQ(nothing.text, "");
    EXPECT_EQ(nothing.consumed, 0u);
}

TEST(EventsTest, RenderLinesCountsSilentLines) {
    std::string chunk = kUser + "\n" + kUser + "\n" + kText2 + "\n";
    RenderedSpan span = render_lines(chunk, 100000);
    EXPECT_EQ(span.text, "All done: two files.\n");
    EXPECT_EQ(span.consumed, chunk.size());
}

}  // namespace

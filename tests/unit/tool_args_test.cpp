// Tests of strict tool-argument reading: unknown names, wrong types and out-of-range values
// become one invalid_argument message naming the argument; and of the shared result and
// schema shapes every tool uses.
#include "core/tools/args.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using cj::tools::ArgumentError;
using cj::tools::Args;
using cj::tools::ToolResult;
using nlohmann::json;

// The message of the ArgumentError fn throws, or "" (with a failure) when it throws none.
template <class F>
std::string error_of(F&& fn) {
    try {
        fn();
    } catch (const ArgumentError& e) {
        return e.message;
    }
    ADD_FAILURE() << "no ArgumentError";
    return "";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(ToolArgsTest, UnknownArgumentIsRefusedByName) {
    json args = {{"prompt", "hi"}, {"promt", "typo"}};
    std::string message = error_of([&] { Args a(args, {"prompt", "model"}); });
    EXPECT_TRUE(contains(message, "\"promt\"")) << message;
    EXPECT_TRUE(contains(message, "prompt, model")) << "should list the known names: " << message;
}

// A tool without arguments does not say "known: " with nothing after it.
TEST(ToolArgsTest, AToolWithoutArgumentsSaysItTakesNone) {
    json args = {{"verbose", true}};
    std::string message = error_of([&] { Args a(args, {}); });
    EXPECT_TRUE(contains(message, "unknown argument \"verbose\" (this tool takes none)"))
        << message;
    EXPECT_FALSE(contains(message, "known: ")) << message;
}

TEST(ToolArgsTest, HugeUnknownNameIsShortenedInTheMessage) {
    json args = {{std::string(10000, 'n'), 1}};
    std::string message = error_of([&] { Args a(args, {"x"}); });
    EXPECT_LT(message.size(), 200u);
}

TEST(ToolArgsTest, ArgumentsMustBeAnObject) {
    for (const json& args : {json::array(), json("x"), json(1), json()}) {
        std::string message = error_of([&] { Args a(args, {"x"}); });
        EXPECT_TRUE(contains(message, "object")) << args.dump() << ": " << message;
    }
    EXPECT_NO_THROW(Args(json::object(), {}));
}

TEST(ToolArgsTest, StringTypeErrorNamesArgumentAndType) {
    json args = {{"label", 5}};
    Args a(args, {"label"});
    std::string message = error_of([&] { (void)a.string("label"); });
    EXPECT_TRUE(contains(message, "label")) << message;
    EXPECT_TRUE(contains(message, "string")) << message;
    EXPECT_TRUE(contains(message, "number")) << message;
}

TEST(ToolArgsTest, StringLengthIsCapped) {
    json args = {{"label", std::string(11, 'x')}, {"ok", std::string(10, 'y')}};
    Args a(args, {"label", "ok"});
    std::string message = error_of([&] { (void)a.string("label", 10); });
    EXPECT_TRUE(contains(message, "label")) << message;
    EXPECT_TRUE(contains(message, "10")) << message;
    EXPECT_EQ(a.string("ok", 10), std::string(10, 'y'));
}

TEST(ToolArgsTest, RequiredStringMustBePresent) {
    json args = {{"other", "x"}, {"prompt", nullptr}};
    Args a(args, {"prompt", "other", "jobId"});
    EXPECT_TRUE(contains(error_of([&] { (void)a.required_string("jobId"); }), "jobId is required"));
    EXPECT_TRUE(
        contains(error_of([&] { (void)a.required_string("prompt"); }), "prompt is required"));
    EXPECT_EQ(a.required_string("other"), "x");
    EXPECT_FALSE(a.string("jobId").has_value());
}

TEST(ToolArgsTest, IntegerWithinRange) {
    json args = {{"n", 5}, {"lo", 1}, {"hi", 10}, {"neg", -3}};
    Args a(args, {"n", "lo", "hi", "neg", "absent"});
    EXPECT_EQ(a.integer("n", 1, 10), 5);
    EXPECT_EQ(a.integer("lo", 1, 10), 1);
    EXPECT_EQ(a.integer("hi", 1, 10), 10);
    EXPECT_EQ(a.integer("neg", -5, 0), -3);
    EXPECT_FALSE(a.integer("absent", 1, 10).has_value());
}

TEST(ToolArgsTest, IntegerOutOfRangeNamesTheBounds) {
    json args = {{"limit", 1001}, {"zero", 0}};
    Args a(args, {"limit", "zero"});
    std::string high = error_of([&] { (void)a.integer("limit", 1, 1000); });
    EXPECT_TRUE(contains(high, "limit")) << high;
    EXPECT_TRUE(contains(high, "from 1 to 1000")) << high;
    EXPECT_TRUE(contains(high, "1001")) << high;
    std::string low = error_of([&] { (void)a.integer("zero", 1, 1000); });
    EXPECT_TRUE(contains(low, "zero")) << low;
}

TEST(ToolArgsTest, WholeFloatIsAnIntegerFractionalIsNot) {
    json args = {{"a", 25.0}, {"b", 25.5}, {"c", -0.0}, {"d", 1e300}, {"e", -1e300}};
    Args a(args, {"a", "b", "c", "d", "e"});
    EXPECT_EQ(a.integer("a", 0, 100), 25);
    std::string fraction = error_of([&] { (void)a.integer("b", 0, 100); });
    EXPECT_TRUE(contains(fraction, "b must be an integer")) << fraction;
    EXPECT_EQ(a.integer("c", 0, 100), 0);
    EXPECT_FALSE(error_of([&] { (void)a.integer("d", 0, 100); }).empty());
    EXPECT_FALSE(error_of([&] { (void)a.integer("e", 0, 100); }).empty());
}

TEST(ToolArgsTest, IntegerTypeErrorsNameTheType) {
    json args = {{"s", "25"}, {"t", true}, {"o", json::object()}, {"l", json::array({1})}};
    Args a(args, {"s", "t", "o", "l"});
    std::string s = error_of([&] { (void)a.integer("s", 0, 100); });
    EXPECT_TRUE(contains(s, "s must be an integer, not a string")) << s;
    std::string t = error_of([&] { (void)a.integer("t", 0, 100); });
    EXPECT_TRUE(contains(t, "not a boolean")) << t;
    EXPECT_TRUE(contains(error_of([&] { (void)a.integer("o", 0, 100); }), "not an object"));
    EXPECT_TRUE(contains(error_of([&] { (void)a.integer("l", 0, 100); }), "not an array"));
}

// Values past INT64_MAX arrive as unsigned JSON numbers; they must be refused whatever the
// bounds, including the widest (sinceOffset is read with max = INT64_MAX).
TEST(ToolArgsTest, HugeUnsignedIntegerIsOutOfRange) {
    json args = {{"big", UINT64_MAX}, {"justOver", std::uint64_t{1} << 63}, {"fits", INT64_MAX}};
    Args a(args, {"big", "justOver", "fits"});
    EXPECT_FALSE(error_of([&] { (void)a.integer("big", 0, 1000); }).empty());
    EXPECT_FALSE(error_of([&] { (void)a.integer("big", 0, INT64_MAX); }).empty());
    EXPECT_FALSE(error_of([&] { (void)a.integer("justOver", 0, INT64_MAX); }).empty());
    EXPECT_EQ(a.integer("fits", 0, INT64_MAX), INT64_MAX);
}

// Errors say the bounds a person would: not the type's internal limit.
TEST(ToolArgsTest, IntegerBoundsAreSaidInHumanTerms) {
    json args = {{"neg", -1}, {"big", UINT64_MAX}, {"high", 5000}};
    Args a(args, {"neg", "big", "high"});
    std::string neg = error_of([&] { (void)a.integer("neg", 0, INT64_MAX); });
    EXPECT_TRUE(contains(neg, "neg must be 0 or more, got -1")) << neg;
    std::string big = error_of([&] { (void)a.integer("big", 0, INT64_MAX, "a byte offset"); });
    EXPECT_TRUE(contains(big, "big must be a byte offset")) << big;
    std::string high = error_of([&] { (void)a.integer("high", 1, 1000); });
    EXPECT_TRUE(contains(high, "high must be from 1 to 1000, got 5000")) << high;
    for (const std::string& text : {neg, big, high})
        EXPECT_FALSE(contains(text, "9223372036854775807")) << text;
}

TEST(ToolArgsTest, NumberAcceptsIntegersAndFloatsInRange) {
    json args = {{"f", 1.5}, {"i", 2}, {"low", 0}, {"s", "1.5"}};
    Args a(args, {"f", "i", "low", "s"});
    EXPECT_DOUBLE_EQ(*a.number("f", 1e-9, 1e6), 1.5);
    EXPECT_DOUBLE_EQ(*a.number("i", 1e-9, 1e6), 2.0);
    std::string low = error_of([&] { (void)a.number("low", 1e-9, 1e6); });
    EXPECT_TRUE(contains(low, "low must be between")) << low;
    std::string s = error_of([&] { (void)a.number("s", 0, 10); });
    EXPECT_TRUE(contains(s, "s must be a number, not a string")) << s;
}

TEST(ToolArgsTest, BooleanIsStrict) {
    json args = {{"yes", true}, {"no", false}, {"text", "true"}, {"one", 1}};
    Args a(args, {"yes", "no", "text", "one"});
    EXPECT_EQ(a.boolean("yes"), true);
    EXPECT_EQ(a.boolean("no"), false);
    std::string text = error_of([&] { (void)a.boolean("text"); });
    EXPECT_TRUE(contains(text, "text must be a boolean, not a string")) << text;
    EXPECT_TRUE(contains(error_of([&] { (void)a.boolean("one"); }), "not a number"));
}

TEST(ToolArgsTest, StringsAcceptsAStringOrAnArray) {
    json args = {{"one", "Read"}, {"many", json::array({"Read", "Bash(git:*)"})}, {"none", json::array()}};
    Args a(args, {"one", "many", "none", "absent"});
    EXPECT_EQ(a.strings("one", 5), std::vector<std::string>{"Read"});
    EXPECT_EQ(a.strings("many", 5), (std::vector<std::string>{"Read", "Bash(git:*)"}));
    EXPECT_TRUE(a.strings("none", 5).empty());
    EXPECT_TRUE(a.strings("absent", 5).empty());
}

TEST(ToolArgsTest, StringsCapsItemsAndChecksEachOne) {
    json args = {{"tooMany", json::array({"a", "b", "c"})},
                 {"exact", json::array({"a", "b"})},
                 {"mixed", json::array({"a", 2})},
                 {"emptyItem", json::array({"a", ""})},
                 {"longItem", json::array({std::string(11, 'x')})},
                 {"object", json::object({{"k", "v"}})}};
    Args a(args, {"tooMany", "exact", "mixed", "emptyItem", "longItem", "object"});
    std::string many = error_of([&] { (void)a.strings("tooMany", 2); });
    EXPECT_TRUE(contains(many, "tooMany")) << many;
    EXPECT_TRUE(contains(many, "3")) << many;
    EXPECT_TRUE(contains(many, "2")) << many;
    EXPECT_EQ(a.strings("exact", 2).size(), 2u);
    std::string mixed = error_of([&] { (void)a.strings("mixed", 5); });
    EXPECT_TRUE(contains(mixed, "mixed must hold strings, not a number")) << mixed;
    EXPECT_TRUE(contains(error_of([&] { (void)a.strings("emptyItem", 5); }), "emptyItem"));
    EXPECT_TRUE(contains(error_of([&] { (void)a.strings("longItem", 5, 10); }), "longItem"));
    std::string object = error_of([&] { (void)a.strings("object", 5); });
    EXPECT_TRUE(contains(object, "a string or an array of strings")) << object;
}

TEST(ToolArgsTest, NullIsTreatedAsAbsent) {
    json args = {{"s", nullptr}, {"i", nullptr}, {"n", nullptr}, {"b", nullptr}, {"l", nullptr}};
    Args a(args, {"s", "i", "n", "b", "l"});
    EXPECT_FALSE(a.string("s").has_value());
    EXPECT_FALSE(a.integer("i", 0, 10).has_value());
    EXPECT_FALSE(a.number("n", 0, 10).has_value());
    EXPECT_FALSE(a.boolean("b").has_value());
    EXPECT_TRUE(a.strings("l", 5).empty());
}

TEST(ToolArgsTest, ErrorResultShape) {
    ToolResult r = cj::tools::error_result(
        claude_jobs::make_error(claude_jobs::ErrorCode::Unavailable, "busy, try later", 0, true));
    EXPECT_TRUE(r.isError);
    EXPECT_EQ(r.structured, json::parse(R"({"error":{"code":"unavailable",
        "message":"busy, try later","retryable":true}})"));

    ToolResult nf = cj::tools::error_result(claude_jobs::ErrorCode::NotFound, "no job \"x\"");
    EXPECT_TRUE(nf.isError);
    EXPECT_EQ(nf.structured,
              (json{{"error", {{"code", "not_found"}, {"message", "no job \"x\""}, {"retryable", false}}}}));
}

TEST(ToolArgsTest, GuardedTurnsArgumentErrorsIntoInvalidArgument) {
    ToolResult r = cj::tools::guarded([]() -> ToolResult {
        json args = {{"limit", "ten"}};
        Args a(args, {"limit"});
        (void)a.integer("limit", 1, 1000);
        return ToolResult{json::object(), false};
    });
    EXPECT_TRUE(r.isError);
    EXPECT_EQ(r.structured["error"]["code"], "invalid_argument");
    EXPECT_EQ(r.structured["error"]["message"], "limit must be an integer, not a string");

    ToolResult ok = cj::tools::guarded([] { return ToolResult{json{{"fine", true}}, false}; });
    EXPECT_FALSE(ok.isError);
    EXPECT_EQ(ok.structured, (json{{"fine", true}}));
}

TEST(ToolArgsTest, ErrorSchemaListsEveryCode) {
    json schema = cj::tools::error_schema();
    const json& codes = schema["properties"]["code"]["enum"];
    for (auto code : {claude_jobs::ErrorCode::NotFound, claude_jobs::ErrorCode::InvalidArgument,
                      claude_jobs::ErrorCode::AlreadyExists, claude_jobs::ErrorCode::Unavailable,
                      claude_jobs::ErrorCode::LimitReached,
                      claude_jobs::ErrorCode::PermissionDenied,
                      claude_jobs::ErrorCode::Internal}) {
        EXPECT_NE(std::find(codes.begin(), codes.end(), claude_jobs::error_code_name(code)),
                  codes.end())
            << claude_jobs::error_code_name(code);
    }
    EXPECT_EQ(schema["required"], json::array({"code", "message"}));
}

TEST(ToolArgsTest, OutputSchemaMovesRequiredUnderAnyOf) {
    json success = {{"type", "object"},
                    {"properties", {{"jobId", {{"type", "string"}}}, {"status", {{"type", "string"}}}}},
                    {"required", {"jobId", "status"}}};
    json schema = cj::tools::output_schema(success);
    EXPECT_FALSE(schema.contains("required")) << schema.dump();
    EXPECT_EQ(schema["type"], "object");
    EXPECT_EQ(schema["anyOf"],
              json::parse(R"([{"required":["jobId","status"]},{"required":["error"]}])"));
    EXPECT_EQ(schema["properties"]["jobId"], success["properties"]["jobId"]);
    EXPECT_EQ(schema["properties"]["status"], success["properties"]["status"]);
    EXPECT_EQ(schema["properties"]["error"], cj::tools::error_schema());
}

TEST(ToolArgsTest, OutputSchemaWithoutRequiredFields) {
    json schema = cj::tools::output_schema({{"type", "object"}, {"properties", json::object()}});
    ASSERT_TRUE(schema["anyOf"].is_array());
    ASSERT_EQ(schema["anyOf"].size(), 2u);
    EXPECT_EQ(schema["anyOf"][1], json::parse(R"({"required":["error"]})"));
    EXPECT_TRUE(schema["properties"].contains("error"));
}

}  // namespace

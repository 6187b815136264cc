// Tests of depth-bounded JSON parsing: the limit counted exactly, strings and escapes not
// mistaken for nesting, huge depths refused without a crash, syntax errors told apart from
// depth, and the truncated document a caller may still read shallow members from.
#include "core/util/json_input.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cj::util {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string arrays(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// {"a":{"a":...{"a":1}...}} with `depth` objects.
std::string objects(std::size_t depth) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += R"({"a":)";
    text += "1";
    text += std::string(depth, '}');
    return text;
}

const std::string kTooDeep = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";

TEST(JsonInputTest, ParsesOrdinaryDocuments) {
    auto parsed = parse_json_input(R"({"a":[1,2.5,"x",true,null,{"b":{}}],"c":-7})");
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.value,
              json({{"a", {1, 2.5, "x", true, nullptr, {{"b", json::object()}}}}, {"c", -7}}));
    EXPECT_TRUE(parsed.error.empty());
    for (const char* scalar : {"0", "\"s\"", "null", "false", "18446744073709551615", "-1.5e3"}) {
        auto p = parse_json_input(scalar);
        ASSERT_TRUE(p.ok()) << scalar;
        EXPECT_EQ(p.value, json::parse(scalar)) << scalar;
    }
}

TEST(JsonInputTest, KeepsTheOrderOfAnOrderedDocument) {
    auto parsed = parse_json_input<ordered_json>(R"({"z":1,"a":{"y":2,"b":3}})");
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.value.dump(), R"({"z":1,"a":{"y":2,"b":3}})");
}

TEST(JsonInputTest, DuplicateKeysKeepTheLastValueLikeTheLibrary) {
    const char* text = R"({"a":1,"a":{"b":2}})";
    auto parsed = parse_json_input(text);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value, json::parse(text));
}

TEST(JsonInputTest, DepthAtTheLimitIsAccepted) {
    for (const std::string& text : {arrays(kMaxJsonDepth), objects(kMaxJsonDepth)}) {
        auto parsed = parse_json_input(text);
        ASSERT_TRUE(parsed.ok()) << parsed.error;
        EXPECT_EQ(parsed.value, json::parse(text));
    }
}

TEST(JsonInputTest, OneLevelOverTheLimitIsRefused) {
    for (const std::string& text : {arrays(kMaxJsonDepth + 1), objects(kMaxJsonDepth + 1)}) {
        auto parsed = parse_json_input(text);
        EXPECT_EQ(parsed.status, JsonStatus::TooDeep);
        EXPECT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error, kTooDeep);
    }
}

TEST(JsonInputTest, TheLimitCanBeChosen) {
    EXPECT_TRUE(parse_json_input(arrays(3), 3).ok());
    EXPECT_EQ(parse_json_input(arrays(4), 3).error, "nested deeper than 3 levels");
    EXPECT_TRUE(parse_json_input("7", 0).ok());
    EXPECT_EQ(parse_json_input("[]", 0).status, JsonStatus::TooDeep);
}

TEST(JsonInputTest, AMillionLevelsAreRefusedWithoutCrashing) {
    auto parsed = parse_json_input(arrays(1000000));
    EXPECT_EQ(parsed.status, JsonStatus::TooDeep);
    auto objectsParsed = parse_json_input(objects(1000000));
    EXPECT_EQ(objectsParsed.status, JsonStatus::TooDeep);
    auto ordered = parse_json_input<ordered_json>(arrays(1000000));
    EXPECT_EQ(ordered.status, JsonStatus::TooDeep);
}

TEST(JsonInputTest, BracketsInStringsAndKeysAreNotNesting) {
    std::string brackets(10000, '[');
    std::string text = R"({")" + brackets + R"(":[")" + brackets + std::string(10000, '{') +
                       R"(","\"[\\",")" + std::string(10000, ']') + R"("]})";
    auto parsed = parse_json_input(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.value, json::parse(text));
    EXPECT_EQ(parsed.value[brackets][1], "\"[\\");
}

TEST(JsonInputTest, EscapedQuotesDoNotEndAStringEarly) {
    // If \" ended the string, the brackets after it would count as 200 levels.
    std::string text = R"(["\")" + std::string(200, '[') + R"(\\\""])";
    auto parsed = parse_json_input(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.value, json::parse(text));
    EXPECT_TRUE(parse_json_input(R"(["\u005b\u005b", "\\"])").ok());
}

TEST(JsonInputTest, SyntaxErrorsAreToldApartFromDepth) {
    for (const char* text :
         {"", "{", "not json", "[1,]", "{\"a\" 1}", "[1] [2]", "\"\\x\"", "\xff\xfe"}) {
        auto parsed = parse_json_input(text);
        EXPECT_EQ(parsed.status, JsonStatus::Syntax) << text;
        EXPECT_TRUE(parsed.value.is_discarded()) << text;
        EXPECT_EQ(parsed.error.rfind("parse error at line 1, column ", 0), 0u) << parsed.error;
        EXPECT_EQ(parsed.error.find("[json.exception"), std::string::npos) << parsed.error;
    }
    auto overflow = parse_json_input("[1e999999]");
    EXPECT_EQ(overflow.status, JsonStatus::Syntax);
    EXPECT_EQ(overflow.error.find("[json.exception"), std::string::npos) << overflow.error;
    auto lines = parse_json_input("{\n  \"a\": oops\n}");
    EXPECT_NE(lines.error.find("line 2, column"), std::string::npos) << lines.error;
}

TEST(JsonInputTest, DeepAndBrokenIsASyntaxError) {
    EXPECT_EQ(parse_json_input(std::string(1000000, '[')).status, JsonStatus::Syntax);
    EXPECT_EQ(parse_json_input(arrays(1000) + ",").status, JsonStatus::Syntax);
    EXPECT_EQ(parse_json_input(R"({"a":)" + arrays(1000) + R"(,"b":})").status, JsonStatus::Syntax);
}

TEST(JsonInputTest, TooDeepKeepsTheShallowMembers) {
    // As in a JSON-RPC notification whose params are too deep: what surrounds them is read on,
    // so a caller can tell a request (with its id, even after the deep part) from the rest.
    std::string text = R"({"jsonrpc":"2.0","method":"n/x","params":{"x":)" + arrays(200000) +
                       R"(,"y":[1,{"z":2}]},"id":9})";
    auto parsed = parse_json_input(text);
    ASSERT_EQ(parsed.status, JsonStatus::TooDeep);
    EXPECT_EQ(parsed.value["jsonrpc"], "2.0");
    EXPECT_EQ(parsed.value["method"], "n/x");
    EXPECT_EQ(parsed.value["id"], 9);
    EXPECT_EQ(parsed.value["params"]["y"], json::parse(R"([1,{"z":2}])"));
    // The deep value is cut at the limit: what was deeper stands as null.
    const json* at = &parsed.value["params"]["x"];
    std::size_t depth = 2;
    while (at->is_array()) {
        ++depth;
        ASSERT_EQ(at->size(), 1u);
        at = &(*at)[0];
    }
    EXPECT_TRUE(at->is_null());
    EXPECT_EQ(depth, kMaxJsonDepth);
    // Copying and dumping the truncated document is safe: it is only kMaxJsonDepth deep.
    json copy = parsed.value;
    EXPECT_FALSE(copy.dump().empty());
}

TEST(JsonInputTest, DeepInsideAnArrayStandsAsNullInPlace) {
    auto parsed = parse_json_input("[1," + arrays(3) + ",2]", 2);
    ASSERT_EQ(parsed.status, JsonStatus::TooDeep);
    EXPECT_EQ(parsed.value, json::parse("[1,[null],2]"));
}

}  // namespace
}  // namespace cj::util

// The SDK's reader and writer for the job folder's flat JSON records (sdk/src/flat_json.h):
// what it accepts, what it refuses, and that hostile input (deep nesting, huge or truncated
// texts, random bytes) is refused without a crash or recursion.
#include "flat_json.h"

#include <climits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace claude_jobs::flat_json {
namespace {

std::optional<Object> parse(std::string_view text) {
    std::string why;
    auto object = Object::parse(text, why);
    if (object) {
        EXPECT_TRUE(why.empty()) << why;
    }
    return object;
}

std::string why_refused(std::string_view text) {
    std::string why;
    EXPECT_FALSE(Object::parse(text, why).has_value()) << "accepted: " << text;
    return why;
}

TEST(SdkFlatJson, ReadsTheRunnersRecords) {
    auto exit = parse(
        R"({"exitCode":0,"signal":null,"signalName":null,"timedOut":false,"cancelled":true,)"
        R"("launchError":null,"startedAt":1700000000000,"endedAt":1700000001234,"reason":"exit code 0"})"
        "\n");
    ASSERT_TRUE(exit);
    EXPECT_EQ(exit->size(), 9u);
    EXPECT_EQ(exit->integer("exitCode"), 0);
    EXPECT_EQ(exit->find("signal")->kind, Kind::Null);
    EXPECT_FALSE(exit->integer("signal").has_value());
    EXPECT_EQ(exit->boolean("timedOut"), false);
    EXPECT_EQ(exit->boolean("cancelled"), true);
    EXPECT_EQ(exit->integer("endedAt"), 1700000001234);
    EXPECT_EQ(exit->string("reason"), "exit code 0");
    EXPECT_EQ(exit->find("missing"), nullptr);
}

TEST(SdkFlatJson, AcceptsWhiteSpaceAndEmptyObjects) {
    EXPECT_TRUE(parse("{}"));
    EXPECT_TRUE(parse(" \t\r\n{ \n} \n"));
    auto spaced = parse("{ \"a\" :\t1 ,\n\"b\" : \"x\" }");
    ASSERT_TRUE(spaced);
    EXPECT_EQ(spaced->integer("a"), 1);
    EXPECT_EQ(spaced->string("b"), "x");
}

TEST(SdkFlatJson, DecodesEveryEscape) {
    auto object = parse(R"({"s":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20ac \ud83d\ude00 \u0000"})");
    ASSERT_TRUE(object);
    EXPECT_EQ(*object->string("s"), std::string("q\" b\\ s/ \b\f\n\r\t \xC3\xA9 \xE2\x82\xAC "
                                                "\xF0\x9F\x98\x80 ") +
                                        std::string(1, '\0'));
    EXPECT_TRUE(parse("{\"raw\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}"));
}

TEST(SdkFlatJson, RefusesMalformedStrings) {
    for (const std::string& text : std::vector<std::string>{
             R"({"s":"unterminated})",
             R"({"s":"bad \x escape"})",
             R"({"s":"\u12"})",
             R"({"s":"\u12G4"})",
             R"({"s":"\ud83d alone"})",
             R"({"s":"\ude00 alone"})",
             R"({"s":"\ud83d\u0041"})",
             std::string("{\"s\":\"tab\there\"}"),
             std::string("{\"s\":\"nl\nhere\"}"),
             std::string("{\"s\":\"\xC0\xAF\"}"),          // overlong '/'
             std::string("{\"s\":\"\xED\xA0\x80\"}"),      // a surrogate in UTF-8
             std::string("{\"s\":\"\xF4\x90\x80\x80\"}"),  // past U+10FFFF
             std::string("{\"s\":\"\xE2\x82\"}"),          // cut short
             std::string("{\"s\":\"\xFF\"}"),
             std::string("{\"\xFF\":1}"),
         })
        why_refused(text);
}

TEST(SdkFlatJson, NumbersFollowTheGrammar) {
    for (const char* good :
         {"0", "-0", "12", "-12", "1.5", "0.25", "1e3", "1E+3", "2e-2", "-1.5e10"}) {
        auto object = parse(std::string("{\"n\":") + good + "}");
        ASSERT_TRUE(object) << good;
        EXPECT_EQ(object->find("n")->kind, Kind::Number);
        EXPECT_EQ(object->find("n")->text, good);
    }
    for (const char* bad : {"01", "-", "+1", ".5", "1.", "1e", "1e+", "--1", "0x10", "1.5.2",
                            "Infinity", "NaN", "1_000"})
        why_refused(std::string("{\"n\":") + bad + "}");
}

TEST(SdkFlatJson, IntegersAreExactAndBounded) {
    auto object = parse(R"({"max":9223372036854775807,"min":-9223372036854775808,)"
                        R"("over":9223372036854775808,"under":-9223372036854775809,)"
                        R"("huge":18446744073709551615,"frac":1.0,"exp":1e2,"text":"7"})");
    ASSERT_TRUE(object);
    EXPECT_EQ(object->integer("max"), INT64_MAX);
    EXPECT_EQ(object->integer("min"), INT64_MIN);
    EXPECT_FALSE(object->integer("over").has_value());
    EXPECT_FALSE(object->integer("under").has_value());
    EXPECT_FALSE(object->integer("huge").has_value());
    EXPECT_FALSE(object->integer("frac").has_value());
    EXPECT_FALSE(object->integer("exp").has_value());
    EXPECT_FALSE(object->integer("text").has_value()) << "a string is not a number";
    EXPECT_FALSE(object->string("max").has_value());
    EXPECT_FALSE(object->boolean("max").has_value());
}

TEST(SdkFlatJson, RefusesWhatIsNotOneObject) {
    for (const char* text :
         {"",          "   ",   "null",       "42",          "\"x\"",       "[]",
          "[{}]",      "true",  "{",          "}",           "{\"a\"}",     "{\"a\":}",
          "{\"a\" 1}", "{a:1}", "{'a':1}",    "{\"a\":1,}",  "{,}",         "{\"a\":1 \"b\":2}",
          "{} {}",     "{}x",   "{\"a\":1}}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}"})
        why_refused(text);
}

TEST(SdkFlatJson, RefusesDuplicateKeys) {
    EXPECT_NE(why_refused(R"({"exitCode":0,"exitCode":1})").find("duplicate key \"exitCode\""),
              std::string::npos);
}

TEST(SdkFlatJson, SkipsNestedValuesButChecksThem) {
    auto object = parse(R"({"a":1,"b":{"c":[1,{"d":"}"},[],{}],"e":null},"f":[],"g":"x"})");
    ASSERT_TRUE(object);
    EXPECT_EQ(object->find("b")->kind, Kind::Nested);
    EXPECT_EQ(object->find("f")->kind, Kind::Nested);
    EXPECT_FALSE(object->integer("b").has_value());
    EXPECT_EQ(object->string("g"), "x");
    for (const char* bad :
         {R"({"a":[1,]})", R"({"a":[1 2]})", R"({"a":{"b"}})", R"({"a":{"b":1,}})", R"({"a":[}})",
          R"({"a":{]})", R"({"a":[1})", R"({"a":{"b":[}]}})", R"({"a":[01]})", R"({"a":{1:2}})"})
        why_refused(bad);
}

TEST(SdkFlatJson, NestingIsBounded) {
    auto nested = [](std::size_t depth) {
        return "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    };
    EXPECT_TRUE(parse(nested(kMaxDepth)));
    EXPECT_NE(why_refused(nested(kMaxDepth + 1)).find("nested too deeply"), std::string::npos);
    // Far deeper than any stack would take with a recursive parser: refused at once.
    std::string deep = "{\"a\":" + std::string(kMaxTextBytes - 10, '[');
    EXPECT_NE(why_refused(deep).find("nested too deeply"), std::string::npos);
    std::string objects = "{\"a\":";
    while (objects.size() < kMaxTextBytes - 10) objects += "{\"k\":";
    why_refused(objects);
}

TEST(SdkFlatJson, SizeIsBounded) {
    std::string big = "{\"s\":\"" + std::string(kMaxTextBytes, 'x') + "\"}";
    EXPECT_NE(why_refused(big).find("larger than"), std::string::npos);
    std::string fits = "{\"s\":\"" + std::string(kMaxTextBytes - 8, 'x') + "\"}";
    EXPECT_TRUE(parse(fits));
}

TEST(SdkFlatJson, EveryTruncationOfARecordIsRefused) {
    std::string record =
        R"({"runnerPid":42,"runnerStartTime":7,"bootId":"b\u00e9","childPid":43,)"
        R"("childPgid":43,"childStartTime":8,"program":"claude","nested":[{"x":[1,2.5e3]}],"ok":true})";
    ASSERT_TRUE(parse(record));
    for (std::size_t n = 0; n < record.size(); ++n)
        EXPECT_FALSE(parse(record.substr(0, n))) << "accepted the first " << n << " bytes";
}

// Random bytes, and valid records with random bytes changed, inserted or deleted: never a
// crash, a hang or an exception; whatever is accepted reads the same way twice.
TEST(SdkFlatJson, SurvivesFuzzedInput) {
    std::mt19937 random(20240611);
    const std::string seeds[] = {
        R"({"exitCode":0,"signal":null,"signalName":null,"timedOut":false,"cancelled":false,"launchError":null,"startedAt":1,"endedAt":2,"reason":"exit code 0"})",
        R"({"graceSec":1.5})", R"({"a":[1,{"b":"\ud83d\ude00"},[[[]]]],"c":-0.5e-3})"};
    const std::string alphabet = "{}[]\":,\\/ -+.eE0123456789tfnulrasx\x01\x7f\xC3\xA9\xED\xF4";
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        if (round % 4 == 0) {
            std::size_t length = random() % 200;
            for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
        } else {
            text = seeds[random() % 3];
            for (int edits = 1 + random() % 4; edits > 0; --edits) {
                std::size_t at = random() % (text.size() + 1);
                char c = alphabet[random() % alphabet.size()];
                switch (random() % 3) {
                    case 0:
                        text.insert(at, 1, c);
                        break;
                    case 1:
                        if (at < text.size()) text.erase(at, 1);
                        break;
                    default:
                        if (at < text.size()) text[at] = c;
                }
            }
        }
        std::string why1, why2;
        auto first = Object::parse(text, why1);
        auto second = Object::parse(text, why2);
        ASSERT_EQ(first.has_value(), second.has_value()) << text;
        if (first) {
            EXPECT_EQ(first->size(), second->size());
        } else {
            EXPECT_FALSE(why1.empty()) << "refused without a reason: " << text;
        }
    }
}

TEST(SdkFlatJson, SecondsBecomeMilliseconds) {
    EXPECT_EQ(seconds_to_ms("30", 3600), 30000);
    EXPECT_EQ(seconds_to_ms("0", 3600), 0);
    EXPECT_EQ(seconds_to_ms("0.5", 3600), 500);
    EXPECT_EQ(seconds_to_ms("1.25", 3600), 1250);
    EXPECT_EQ(seconds_to_ms("1.2345", 3600), 1235) << "rounded to the nearest";
    EXPECT_EQ(seconds_to_ms("3600", 3600), 3600000);
    EXPECT_FALSE(seconds_to_ms("3601", 3600));
    EXPECT_FALSE(seconds_to_ms("3600.5", 3600));
    EXPECT_FALSE(seconds_to_ms("-1", 3600));
    EXPECT_FALSE(seconds_to_ms("-0", 3600));
    EXPECT_FALSE(seconds_to_ms("1e3", 3600));
    EXPECT_FALSE(seconds_to_ms("1.", 3600));
    EXPECT_FALSE(seconds_to_ms("", 3600));
    EXPECT_FALSE(seconds_to_ms("99999999999999999999", 3600));
}

TEST(SdkFlatJson, WriterEscapesAndRoundTrips) {
    std::string odd = std::string("q\" b\\ \n\r\t\b\f \x01 \xC3\xA9 bad:\xFF\xC3") + '\0' + "end";
    std::string text = Writer()
                           .add_int("i", -5)
                           .add_uint("u", 18446744073709551615ULL)
                           .add_bool("t", true)
                           .add_null("n")
                           .add_string("s", odd)
                           .str();
    EXPECT_EQ(text.find('\n'), std::string::npos);
    auto back = parse(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->integer("i"), -5);
    EXPECT_EQ(back->find("u")->text, "18446744073709551615");
    EXPECT_EQ(back->boolean("t"), true);
    EXPECT_EQ(back->find("n")->kind, Kind::Null);
    // Invalid UTF-8 became U+FFFD; everything else came back as it was.
    EXPECT_EQ(*back->string("s"), std::string("q\" b\\ \n\r\t\b\f \x01 \xC3\xA9 bad:"
                                              "\xEF\xBF\xBD\xEF\xBF\xBD") +
                                      '\0' + "end");
    EXPECT_EQ(Writer().str(), "{}");
    std::string out;
    append_string(out, "\x1f");
    EXPECT_EQ(out, "\"\\u001f\"");
}

}  // namespace
}  // namespace claude_jobs::flat_json

// Tests of the UTF-8-safe text helpers the job view and the transcript rely on.
#include "core/transcript/text.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace {

bool valid_utf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// "a" (1 byte), "é" (2), "€" (3), "𝄞" (4), mixed so every boundary kind occurs.
const std::string kMixed = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E" "b\xF0\x9D\x84\x9E\xE2\x82\xAC\xC3\xA9z";

TEST(TextTest, Utf8TailNeverSplitsACharacter) {
    for (std::size_t max = 0; max <= kMixed.size() + 2; ++max) {
        std::string tail = cj::transcript::utf8_tail(kMixed, max);
        EXPECT_TRUE(valid_utf8(tail)) << "max " << max;
        EXPECT_LE(tail.size(), max);
        EXPECT_GE(tail.size() + 3, std::min(max, kMixed.size())) << "cut too much at " << max;
        EXPECT_EQ(kMixed.compare(kMixed.size() - tail.size(), tail.size(), tail), 0)
            << "not a suffix at " << max;
    }
    EXPECT_EQ(cj::transcript::utf8_tail("hello", 3), "llo");
    EXPECT_EQ(cj::transcript::utf8_tail("hello", 10), "hello");
}

TEST(TextTest, Utf8HeadNeverSplitsACharacter) {
    for (std::size_t max = 0; max <= kMixed.size() + 2; ++max) {
        std::string head = cj::transcript::utf8_head(kMixed, max);
        EXPECT_TRUE(valid_utf8(head)) << "max " << max;
        EXPECT_LE(head.size(), max);
        EXPECT_GE(head.size() + 3, std::min(max, kMixed.size())) << "cut too much at " << max;
        EXPECT_EQ(kMixed.compare(0, head.size(), head), 0) << "not a prefix at " << max;
    }
    EXPECT_EQ(cj::transcript::utf8_head("hello", 3), "hel");
    EXPECT_EQ(cj::transcript::utf8_head("hello", 0), "");
}

TEST(TextTest, OneLineFlattensAndCleans) {
    using cj::transcript::one_line;
    EXPECT_EQ(one_line("a\nb\tc\r\nd", 100), "a b c d");
    EXPECT_EQ(one_line("\n\nlead and trail\n\n", 100), "lead and trail");
    EXPECT_EQ(one_line(std::string("nul\0and\x01\x1b\x7f gone", 16), 100), "nuland gone");
    EXPECT_EQ(one_line("caf\xC3\xA9", 100), "caf\xC3\xA9");
    EXPECT_EQ(one_line("", 10), "");
}

TEST(TextTest, OneLineCapsLengthOnACharacterBoundary) {
    using cj::transcript::one_line;
    std::string longText(1000, 'x');
    std::string capped = one_line(longText, 50);
    EXPECT_LE(capped.size(), 50u);
    EXPECT_EQ(capped.substr(capped.size() - 3), "...");
    EXPECT_EQ(one_line("exactly ten", 11), "exactly ten");

    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
    for (std::size_t max : {10u, 11u, 12u, 51u}) {
        std::string out = one_line(accents, max);
        EXPECT_LE(out.size(), max);
        EXPECT_TRUE(valid_utf8(out)) << "max " << max;
    }
}

TEST(TextTest, OneLineHonoursAVerySmallCap) {
    using cj::transcript::one_line;
    for (std::size_t max : {0u, 1u, 2u, 3u}) {
        std::string out = one_line("abcdefgh", max);
        EXPECT_LE(out.size(), max) << "one_line(\"abcdefgh\", " << max << ") = \"" << out << "\"";
    }
}

}  // namespace

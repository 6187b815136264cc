// Splitting an attach command into words without a shell.
#include <gtest/gtest.h>

#include "core/cli/words.h"

namespace cj::cli {
namespace {

using Words = std::vector<std::string>;

Words split(const std::string& line) {
    auto r = split_words(line);
    EXPECT_TRUE(r) << line << ": " << (r ? "" : r.error().message);
    return r ? *r : Words{};
}

TEST(CliWords, PlainWords) {
    EXPECT_EQ(split("tmux -L cj-1000 attach -t job1"),
              (Words{"tmux", "-L", "cj-1000", "attach", "-t", "job1"}));
    EXPECT_EQ(split("  a \t b  "), (Words{"a", "b"}));
}

TEST(CliWords, SingleQuotesAreLiteral) {
    EXPECT_EQ(split("tmux -L 'my socket' attach -t 'job;$(rm -rf ~)'"),
              (Words{"tmux", "-L", "my socket", "attach", "-t", "job;$(rm -rf ~)"}));
    // POSIX quoting of a single quote: 'it'\''s'
    EXPECT_EQ(split("echo 'it'\\''s'"), (Words{"echo", "it's"}));
    EXPECT_EQ(split("a '' b"), (Words{"a", "", "b"}));
    EXPECT_EQ(split("pre'fix'post"), (Words{"prefixpost"}));
}

TEST(CliWords, DoubleQuotesAndBackslashes) {
    EXPECT_EQ(split(R"(a "b c" "d\"e" "f\\g" h\ i)"), (Words{"a", "b c", "d\"e", "f\\g", "h i"}));
    EXPECT_EQ(split(R"("x\ny")"), (Words{"x\\ny"})) << "only \\ \" $ ` escape inside double quotes";
}

TEST(CliWords, RefusesWhatAShellWouldDoMoreWith) {
    for (const char* bad : {"a; b", "a | b", "a && b", "a > f", "echo $HOME", "echo `id`", "ls *",
                            "a\nb", "cmd # comment", "~/bin/x", "'unclosed", "\"unclosed",
                            "trailing\\", "\"$(x)\"", "", "   "}) {
        auto r = split_words(bad);
        EXPECT_FALSE(r) << "\"" << bad << "\" was split";
    }
    EXPECT_FALSE(split_words(std::string("a\0b", 3)));
}

TEST(CliWords, QuotedShellSyntaxIsJustText) {
    EXPECT_EQ(split("'a; b' \"c|d\" e\\;f"), (Words{"a; b", "c|d", "e;f"}));
    EXPECT_EQ(split("x#y a~b"), (Words{"x#y", "a~b"})) << "# and ~ only count at a word's start";
}

}  // namespace
}  // namespace cj::cli

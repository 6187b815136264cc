#include "core/util/shell_words.h"

#include <gtest/gtest.h>

using cj::util::shell_word;

TEST(ShellWordTest, PlainWordsStayAsTheyAre) {
    EXPECT_EQ(shell_word("/usr/bin/claude-jobs"), "/usr/bin/claude-jobs");
    EXPECT_EQ(shell_word("a=b,c@d:e+f"), "a=b,c@d:e+f");
}

TEST(ShellWordTest, AnythingElseIsSingleQuoted) {
    EXPECT_EQ(shell_word(""), "''");
    EXPECT_EQ(shell_word("my dir"), "'my dir'");
    EXPECT_EQ(shell_word("$(touch x)"), "'$(touch x)'");
    EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
}

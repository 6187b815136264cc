// The command line's table renderer and text cleaning.
#include <gtest/gtest.h>

#include "core/cli/table.h"

namespace cj::cli {
namespace {

TEST(CliTable, ColumnsAlignToTheWidestCell) {
    Table t({"ID", "STATUS", "PROMPT"});
    t.add({"a", "completed", "first"});
    t.add({"bbbb", "running", "second"});
    EXPECT_EQ(t.render(false),
              "ID    STATUS     PROMPT\n"
              "a     completed  first\n"
              "bbbb  running    second\n");
}

TEST(CliTable, LastColumnIsCutToTheWidth) {
    Table t({"ID", "PROMPT"});
    t.add({"x", "a very long prompt that goes on"});
    std::string out = t.render(false, 12);
    EXPECT_EQ(out, "ID  PROMPT\nx   a very …\n");
    for (std::size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos;
         start = nl + 1)
        EXPECT_LE(display_width(out.substr(start, nl - start)), 12u);
}

TEST(CliTable, ColourOnlyWhenAsked) {
    Table t({"STATUS"});
    t.add({Cell("failed", status_tone("failed"))});
    EXPECT_EQ(t.render(false).find('\x1b'), std::string::npos);
    std::string coloured = t.render(true);
    EXPECT_NE(coloured.find("\x1b[31mfailed\x1b[0m"), std::string::npos) << coloured;
    EXPECT_NE(coloured.find("\x1b[1mSTATUS\x1b[0m"), std::string::npos);
}

TEST(CliTable, CellsCannotCarryTerminalControls) {
    Table t({"LABEL"});
    t.add({"evil\x1b]0;title\x07\x1b[2Jlabel\nnext\xc2\x9b"});
    std::string out = t.render(false);
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_EQ(out.find('\x07'), std::string::npos);
    EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos) << "C1 CSI removed";
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << "one line per row";
}

TEST(CliTable, CleanTextKeepsLinesAndUtf8) {
    EXPECT_EQ(clean_text("a\tb\nc\x1b[31m d"), "a\tb\nc [31m d");
    EXPECT_EQ(clean_text("héllo → ✓"), "héllo → ✓");
    EXPECT_EQ(clean_cell("bad \xff byte"), "bad ? byte");
}

TEST(CliTable, WidthCountsCodePointsAndCutsWhole) {
    EXPECT_EQ(display_width("héllo"), 5u);
    EXPECT_EQ(fit_width("héllo wörld", 6), "héllo…");
    EXPECT_EQ(fit_width("short", 10), "short");
    EXPECT_EQ(fit_width("ab", 0), "");
}

TEST(CliTable, ShortDurations) {
    EXPECT_EQ(short_duration(0), "0s");
    EXPECT_EQ(short_duration(59'999), "59s");
    EXPECT_EQ(short_duration(60'000), "1m");
    EXPECT_EQ(short_duration(3 * 3600'000LL), "3h");
    EXPECT_EQ(short_duration(50 * 3600'000LL), "2d");
    EXPECT_EQ(short_duration(-5), "0s");
}

TEST(CliTable, StatusTones) {
    EXPECT_EQ(status_tone("completed"), Tone::Good);
    EXPECT_EQ(status_tone("failed"), Tone::Bad);
    EXPECT_EQ(status_tone("orphaned"), Tone::Bad);
    EXPECT_EQ(status_tone("cancelled"), Tone::Warn);
    EXPECT_EQ(status_tone("running"), Tone::Bold);
}

}  // namespace
}  // namespace cj::cli

// Tests of the text block written for a model to read: fields in reading order, long texts
// indented, plain lists on one line, lists of flat objects as a table whose shared and empty
// columns are said once or dropped.
#include "core/tools/readable.h"

#include <gtest/gtest.h>

namespace {

using cj::tools::readable;
using nlohmann::json;

TEST(Readable, FieldsInReadingOrderWithoutEmptyOnes) {
    json v = {{"output", "line one\nline two\n"},
              {"status", "completed"},
              {"jobId", "j1"},
              {"stderrTail", ""},
              {"elapsedMs", 12},
              {"activity", {{"turns", 2}, {"lastText", ""}}},
              {"pending", json::array()},
              {"timedOut", false}};
    EXPECT_EQ(readable(v),
              "jobId: j1\n"
              "status: completed\n"
              "elapsedMs: 12\n"
              "timedOut: false\n"
              "activity:\n"
              "  turns: 2\n"
              "output:\n"
              "  line one\n"
              "  line two\n");
}

TEST(Readable, PlainListsOnOneLine) {
    EXPECT_EQ(readable(json{{"pending", {"a", "b"}}}), "pending: a, b\n");
}

TEST(Readable, FlatObjectsMakeATable) {
    json rows = json::array();
    rows.push_back({{"jobId", "j2"}, {"status", "running"}, {"backend", "local"}, {"label", ""},
                    {"promptPreview", "two\nlines"}});
    rows.push_back({{"jobId", "j1"}, {"status", "completed"}, {"backend", "local"},
                    {"label", ""}, {"promptPreview", "one"}, {"endedAt", "t"}});
    EXPECT_EQ(readable(json{{"jobs", rows}}),
              "jobs (2): jobId | status | endedAt | promptPreview\n"
              "  backend: local (every row)\n"
              "  j2 | running |  | two lines\n"
              "  j1 | completed | t | one\n");
}

TEST(Readable, ObjectsWithNestedValuesAreNumberedBlocks) {
    json v = {{"done", json::array({json{{"jobId", "j1"}, {"result", {{"text", "hi"}}}}})}};
    EXPECT_EQ(readable(v),
              "done (1):\n"
              "- 1\n"
              "  jobId: j1\n"
              "  result:\n"
              "    text: hi\n");
}

TEST(Readable, LeaveToStructuredNotesTheSizeOfWhatItLeavesOut) {
    json v = {{"jobId", "j1"},
              {"output", "line one\nline two\n"},
              {"stderrTail", ""},
              {"rows", json::array({1, 2, 3})},
              {"one", json::array({1})},
              {"result", {{"text", "the answer"}, {"structured", {{"n", 1}}}, {"isError", false}}}};
    json brief = cj::tools::leave_to_structured(
        v, {"/output", "/stderrTail", "/rows", "/one", "/result/text", "/result/structured",
            "/missing", "/result/missing"});
    json expected = {{"jobId", "j1"},
                     {"output", "(18 bytes, in structuredContent)"},
                     {"rows", "(3 items, in structuredContent)"},
                     {"one", "(1 item, in structuredContent)"},
                     {"result",
                      {{"text", "(10 bytes, in structuredContent)"},
                       {"structured", "(7 bytes, in structuredContent)"},
                       {"isError", false}}}};
    EXPECT_EQ(brief, expected);
    EXPECT_EQ(readable(brief),
              "jobId: j1\n"
              "one: (1 item, in structuredContent)\n"
              "output: (18 bytes, in structuredContent)\n"
              "rows: (3 items, in structuredContent)\n"
              "result:\n"
              "  isError: false\n"
              "  structured: (7 bytes, in structuredContent)\n"
              "  text: (10 bytes, in structuredContent)\n");
}

}  // namespace

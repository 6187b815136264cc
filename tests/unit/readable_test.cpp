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

}  // namespace

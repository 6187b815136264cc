// Tests of the event cache: each job's log is read incrementally (only what was added since
// the last look), a replaced log is read again from its start, a forgotten job is read
// again, and the least recently read job is the one forgotten when the cache is full.
#include "core/jobs/event_cache.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/stream_json.h"
#include "support/temp_dir.h"

namespace {

using cj::jobs::EventCache;
using cj::jobs::JobDirs;
using cj::testing::TempDir;
namespace sj = cj::testing::stream_json;

class EventCacheTest : public ::testing::Test {
  protected:
    std::string log(const std::string& id) const {
        return dir_.path() + "/" + id + "/events.jsonl";
    }
    void write(const std::string& id, const std::string& text) {
        dir_.write(id + "/events.jsonl", text);
    }
    void append(const std::string& id, const std::string& text) {
        std::ofstream(log(id), std::ios::binary | std::ios::app) << text;
    }
    // Overwrites the start of the log in place, keeping its size: a reader that reads only
    // what was added never sees it.
    void overwrite_start(const std::string& id, const std::string& text) {
        std::fstream f(log(id), std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(0);
        f << text;
    }

    TempDir dir_;
    EventCache cache_{JobDirs{dir_.path()}};
};

TEST_F(EventCacheTest, MissingLogIsAnEmptySummary) {
    auto snap = cache_.scan("nothing");
    EXPECT_EQ(snap.activity.turns, 0);
    EXPECT_EQ(snap.sessionId, "");
    EXPECT_FALSE(snap.result.has_value());
}

TEST_F(EventCacheTest, AScanAgainSeesWhatWasAppended) {
    write("j1", sj::init("sess-1") + sj::text("first"));
    auto snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.turns, 1);
    EXPECT_EQ(snap.activity.lastText, "first");
    EXPECT_EQ(snap.sessionId, "sess-1");
    EXPECT_FALSE(snap.result.has_value());

    append("j1", sj::text("second") + sj::result("all done"));
    snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.turns, 2);  // each line fed once: not 3
    EXPECT_EQ(snap.activity.lastText, "second");
    ASSERT_TRUE(snap.result.has_value());
    EXPECT_EQ(snap.result->text, "all done");
}

TEST_F(EventCacheTest, ALineWrittenInTwoPiecesCountsOnce) {
    std::string line = sj::text("halves");
    write("j1", line.substr(0, 20));
    EXPECT_EQ(cache_.scan("j1").activity.turns, 0);
    append("j1", line.substr(20));
    auto snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.turns, 1);
    EXPECT_EQ(snap.activity.lastText, "halves");
}

TEST_F(EventCacheTest, BytesAlreadyReadAreNotReadAgain) {
    write("j1", sj::text("aaaa"));
    EXPECT_EQ(cache_.scan("j1").activity.lastText, "aaaa");
    overwrite_start("j1", sj::text("bbbb"));  // same size
    append("j1", sj::tool("ls"));
    auto snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.lastText, "aaaa");
    EXPECT_EQ(snap.activity.lastTool, "Bash: ls");
    EXPECT_EQ(snap.activity.turns, 2);
}

TEST_F(EventCacheTest, AShorterLogIsReadFromTheStart) {
    write("j1", sj::init("sess-1") + sj::text("one") + sj::text("two") + sj::result("done"));
    ASSERT_TRUE(cache_.scan("j1").result.has_value());
    write("j1", sj::text("again"));  // replaced by a shorter log
    auto snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.turns, 1);
    EXPECT_EQ(snap.activity.lastText, "again");
    EXPECT_EQ(snap.sessionId, "");
    EXPECT_FALSE(snap.result.has_value());
}

TEST_F(EventCacheTest, AForgottenJobIsReadAgain) {
    write("j1", sj::text("aaaa"));
    ASSERT_EQ(cache_.scan("j1").activity.lastText, "aaaa");
    overwrite_start("j1", sj::text("bbbb"));
    ASSERT_EQ(cache_.scan("j1").activity.lastText, "aaaa");  // still remembered
    cache_.forget("j1");
    auto snap = cache_.scan("j1");
    EXPECT_EQ(snap.activity.lastText, "bbbb");
    EXPECT_EQ(snap.activity.turns, 1);
}

TEST_F(EventCacheTest, TheLeastRecentlyReadJobIsForgottenFirst) {
    write("old", sj::text("aaaa"));
    write("used", sj::text("aaaa"));
    ASSERT_EQ(cache_.scan("old").activity.lastText, "aaaa");
    ASSERT_EQ(cache_.scan("used").activity.lastText, "aaaa");
    // Fill the cache (ids without a log cost nothing to read).
    for (std::size_t i = 2; i < EventCache::kMaxJobs; ++i)
        cache_.scan("filler-" + std::to_string(i));
    cache_.scan("old");       // read again: now "used" is the least recent
    cache_.scan("one-more");  // the cache is full: "used" goes
    overwrite_start("old", sj::text("bbbb"));
    overwrite_start("used", sj::text("bbbb"));
    EXPECT_EQ(cache_.scan("old").activity.lastText, "aaaa") << "a recently read job was forgotten";
    EXPECT_EQ(cache_.scan("used").activity.lastText, "bbbb") << "the least recent was kept";
}

}  // namespace

// Tests of the event cache: each job's log is read incrementally (only what was added since
// the last look), a replaced log is read again from its start, a forgotten job is read
// again, and the least recently read job is the one forgotten when the cache is full. What
// was read is kept next to the log, so a new reader (another process) goes on from there, but
// never from the summary of another log; and no reader waits for another's scan.
#include "core/jobs/event_cache.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "core/util/files.h"

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

    // A log longer than EventCache::kSummaryFrom: turns of 4 KB of text, then a result.
    std::string big_log(int turns, const std::string& last) {
        std::string text = sj::init("sess-big");
        for (int i = 0; i < turns; ++i) text += sj::text(std::string(4096, 'a' + i % 26));
        return text + sj::text(last) + sj::result("the end", false, "sess-big");
    }
    bool has_summary(const std::string& id) const {
        return std::filesystem::exists(dir_.path() + "/" + id + "/events.summary.json");
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

TEST_F(EventCacheTest, ANewReaderGoesOnFromTheSummaryOnDisk) {
    write("j1", big_log(400, "last words"));
    auto first = cache_.scan("j1");
    ASSERT_TRUE(has_summary("j1"));
    EXPECT_GT(cache_.bytes_read(), EventCache::kSummaryFrom);

    EventCache other{JobDirs{dir_.path()}};  // as in a process that never read the job
    auto snap = other.scan("j1");
    EXPECT_EQ(other.bytes_read(), 0u) << "the whole log was read again";
    EXPECT_EQ(snap.activity.turns, first.activity.turns);
    EXPECT_EQ(snap.activity.lastText, "last words");
    EXPECT_EQ(snap.sessionId, "sess-big");
    ASSERT_TRUE(snap.result.has_value());
    EXPECT_EQ(snap.result->text, "the end");

    std::string more = sj::text("after the end");
    append("j1", more);
    EventCache third{JobDirs{dir_.path()}};
    auto later = third.scan("j1");
    EXPECT_EQ(third.bytes_read(), more.size()) << "only what was added is read";
    EXPECT_EQ(later.activity.turns, first.activity.turns + 1);
    EXPECT_EQ(later.activity.lastText, "after the end");
}

TEST_F(EventCacheTest, ASmallLogHasNoSummary) {
    write("j1", sj::text("short") + sj::result("done"));
    ASSERT_TRUE(cache_.scan("j1").result.has_value());
    EXPECT_FALSE(has_summary("j1"));
}

TEST_F(EventCacheTest, TheSummaryOfAnotherLogIsIgnored) {
    write("j1", big_log(400, "old words"));
    ASSERT_EQ(cache_.scan("j1").activity.lastText, "old words");
    ASSERT_TRUE(has_summary("j1"));
    // The same file rewritten in place, longer and different before the covered offset.
    std::string replaced = sj::init("sess-new") + big_log(410, "new words");
    {
        std::ofstream out(log("j1"), std::ios::binary | std::ios::trunc);
        out << replaced;
    }
    EventCache other{JobDirs{dir_.path()}};
    auto snap = other.scan("j1");
    EXPECT_EQ(other.bytes_read(), replaced.size());
    EXPECT_EQ(snap.activity.lastText, "new words");
    EXPECT_EQ(snap.activity.turns, 411);

    // A damaged summary is no summary.
    dir_.write("j1/events.summary.json", "{\"version\":1,\"offset\":");
    EventCache third{JobDirs{dir_.path()}};
    EXPECT_EQ(third.scan("j1").activity.lastText, "new words");
    EXPECT_EQ(third.bytes_read(), replaced.size());
}

TEST_F(EventCacheTest, AReaderDoesNotWaitForAnotherReadersScan) {
    write("j1", sj::init("sess-1") + sj::text("hello") + sj::result("done"));
    std::promise<void> inside, release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> blockNext{true};
    EventCache cache{JobDirs{dir_.path()},
                     [&](const std::string& path, std::uint64_t offset, std::size_t length) {
                         if (blockNext.exchange(false)) {  // the first read stalls, as on a
                             inside.set_value();            // huge log or a slow disk
                             released.wait();
                         }
                         return cj::util::read_range(path, offset, length);
                     }};
    auto slow = std::async(std::launch::async, [&] { return cache.scan("j1"); });
    inside.get_future().wait();
    auto quick = std::async(std::launch::async, [&] { return cache.scan("j1"); });
    bool answered = quick.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    release.set_value();
    ASSERT_TRUE(answered) << "a second reader of the job waited for the first one's scan";
    EXPECT_EQ(quick.get().activity.lastText, "hello");
    EXPECT_EQ(slow.get().activity.lastText, "hello");
    EXPECT_EQ(cache.scan("j1").result->text, "done");
}

}  // namespace

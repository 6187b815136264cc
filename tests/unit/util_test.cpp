// Tests of the small utilities everything else stands on: job ids (minted and validated),
// the careful file helpers for the state directory, and the clock's ISO 8601 rendering.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/ids.h"
#include "support/text_files.h"

namespace {

namespace fs = std::filesystem;
using cj::util::is_valid_job_id;
using cj::testing::read_text;

using cj::testing::TempDir;

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

constexpr std::string_view kCrockford = "0123456789abcdefghjkmnpqrstvwxyz";

TEST(UtilIdsTest, NewJobIdIs26CrockfordCharacters) {
    for (int i = 0; i < 100; ++i) {
        std::string id = cj::util::new_job_id();
        ASSERT_EQ(id.size(), 26u) << id;
        for (char c : id) EXPECT_NE(kCrockford.find(c), std::string_view::npos) << id;
        EXPECT_TRUE(is_valid_job_id(id)) << id;
    }
}

TEST(UtilIdsTest, NewJobIdsAreUniqueAndUseTheWholeAlphabet) {
    std::set<std::string> ids;
    std::set<char> firstChars;
    for (int i = 0; i < 10000; ++i) {
        std::string id = cj::util::new_job_id();
        ids.insert(id);
        firstChars.insert(id[0]);
    }
    EXPECT_EQ(ids.size(), 10000u);
    // 10,000 draws of a uniform 5-bit digit leave none of the 32 unseen (p < 1e-130).
    EXPECT_EQ(firstChars.size(), 32u);
}

TEST(UtilIdsTest, ValidJobIdsFollowTheSpecPattern) {
    for (const std::string& id : {std::string("a"), std::string("Z"), std::string("0"),
                                  std::string("job-1"), std::string("my.job_2-x"),
                                  std::string("A.b_C-d"), std::string("a.."), std::string("9-"),
                                  std::string(64, 'x'), "a" + std::string(63, '-')}) {
        EXPECT_TRUE(is_valid_job_id(id)) << id;
    }
}

TEST(UtilIdsTest, InvalidJobIdsAreRefused) {
    for (const std::string& id :
         {std::string(""), std::string(65, 'x'), std::string("../x"), std::string("a/b"),
          std::string("/abs"), std::string(".x"), std::string(".."), std::string("."),
          std::string("-x"), std::string("_x"), std::string("a b"), std::string(" a"),
          std::string("a\n"), std::string("a\tb"), std::string("a\\b"), std::string("a:b"),
          std::string("a*"), std::string("caf\xC3\xA9"), std::string("\xC3\xA9t\xC3\xA9"),
          std::string("a\0b", 3), std::string("a%2Fb"), std::string("a;rm")}) {
        EXPECT_FALSE(is_valid_job_id(id)) << "accepted \"" << id << "\"";
    }
}

TEST(UtilFilesTest, WriteFileAtomicLeavesOnlyThePrivateFile) {
    TempDir dir;
    ASSERT_TRUE(cj::util::write_file_atomic(dir.path(), "exit.json", "{\"a\":1}\n").ok());
    EXPECT_EQ(read_text(dir.path() + "/exit.json"), "{\"a\":1}\n");
    EXPECT_EQ(mode_of(dir.path() + "/exit.json"), 0600u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"exit.json"});

    // Replacing keeps the same guarantees.
    ASSERT_TRUE(cj::util::write_file_atomic(dir.path(), "exit.json", "second").ok());
    EXPECT_EQ(read_text(dir.path() + "/exit.json"), "second");
    EXPECT_EQ(mode_of(dir.path() + "/exit.json"), 0600u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"exit.json"});
}

TEST(UtilFilesTest, WriteFileAtomicReplacesAPreexistingPublicFile) {
    TempDir dir;
    std::string p = dir.write("state.json", "old");
    ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
    ASSERT_TRUE(cj::util::write_file_atomic(dir.path(), "state.json", "new").ok());
    EXPECT_EQ(read_text(p), "new");
    EXPECT_EQ(mode_of(p), 0600u);
}

TEST(UtilFilesTest, WriteFileAtomicReplacesASymlinkInsteadOfWritingThrough) {
    TempDir dir;
    std::string target = dir.write("target", "untouched");
    ASSERT_EQ(::symlink(target.c_str(), (dir.path() + "/out").c_str()), 0);
    ASSERT_TRUE(cj::util::write_file_atomic(dir.path(), "out", "fresh").ok());
    EXPECT_EQ(read_text(target), "untouched");
    struct stat st {};
    ASSERT_EQ(::lstat((dir.path() + "/out").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(read_text(dir.path() + "/out"), "fresh");
}

TEST(UtilFilesTest, WriteFileAtomicIntoAMissingFolderFails) {
    TempDir dir;
    auto r = cj::util::write_file_atomic(dir.path() + "/missing", "x", "y");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("missing"), std::string::npos);
    EXPECT_EQ(r.error().sysErrno, ENOENT);
}

TEST(UtilFilesTest, WriteNewFileCreatesAPrivateFile) {
    TempDir dir;
    std::string p = dir.path() + "/prompt.txt";
    std::string content(100000, 'p');
    ASSERT_TRUE(cj::util::write_new_file(p, content).ok());
    EXPECT_EQ(read_text(p), content);
    EXPECT_EQ(mode_of(p), 0600u);
}

TEST(UtilFilesTest, WriteNewFileRefusesAnExistingFile) {
    TempDir dir;
    std::string p = dir.write("prompt.txt", "first");
    auto r = cj::util::write_new_file(p, "second");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().sysErrno, EEXIST);
    EXPECT_EQ(read_text(p), "first");
}

TEST(UtilFilesTest, WriteNewFileRefusesASymlink) {
    TempDir dir;
    std::string target = dir.write("target", "keep");
    std::string link = dir.path() + "/link";
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    EXPECT_FALSE(cj::util::write_new_file(link, "evil").ok());
    EXPECT_EQ(read_text(target), "keep");

    // A dangling symlink must not create its target either.
    std::string dangling = dir.path() + "/dangling";
    std::string nowhere = dir.path() + "/nowhere";
    ASSERT_EQ(::symlink(nowhere.c_str(), dangling.c_str()), 0);
    EXPECT_FALSE(cj::util::write_new_file(dangling, "evil").ok());
    EXPECT_FALSE(fs::exists(fs::symlink_status(nowhere)));
}

TEST(UtilFilesTest, ReadFileReadsUpToMaxBytes) {
    TempDir dir;
    std::string content;
    for (int i = 0; i < 100000; ++i) content.push_back(static_cast<char>(i % 251));
    std::string p = dir.write("data", content);
    auto all = cj::util::read_file(p, 1 << 20);
    ASSERT_TRUE(all.ok());
    ASSERT_TRUE(all->has_value());
    EXPECT_EQ(**all, content);

    auto some = cj::util::read_file(p, 70000);
    ASSERT_TRUE(some.ok());
    ASSERT_TRUE(some->has_value());
    EXPECT_EQ(**some, content.substr(0, 70000));

    auto none = cj::util::read_file(p, 0);
    ASSERT_TRUE(none.ok());
    ASSERT_TRUE(none->has_value());
    EXPECT_EQ(**none, "");

    auto empty = cj::util::read_file(dir.write("empty", ""), 100);
    ASSERT_TRUE(empty.ok());
    ASSERT_TRUE(empty->has_value());
    EXPECT_EQ(**empty, "");
}

TEST(UtilFilesTest, ReadFileOfAMissingFileIsNullopt) {
    TempDir dir;
    auto r = cj::util::read_file(dir.path() + "/missing", 100);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST(UtilFilesTest, ReadFileDoesNotFollowASymlink) {
    TempDir dir;
    std::string target = dir.write("secret", "do not read");
    std::string link = dir.path() + "/exit.json";
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    auto r = cj::util::read_file(link, 100);
    EXPECT_FALSE(r.ok()) << "read through a symlink: " << (r.ok() && *r ? **r : "");
}

TEST(UtilFilesTest, ReadFileOfAFolderIsAnError) {
    TempDir dir;
    EXPECT_FALSE(cj::util::read_file(dir.path(), 100).ok());
}

TEST(UtilFilesTest, ReadRangeClampsToTheFile) {
    TempDir dir;
    std::string p = dir.write("log", "0123456789");
    auto mid = cj::util::read_range(p, 2, 3);
    ASSERT_TRUE(mid.ok());
    EXPECT_EQ(*mid, "234");
    auto tail = cj::util::read_range(p, 7, 100);
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(*tail, "789");
    auto atEnd = cj::util::read_range(p, 10, 5);
    ASSERT_TRUE(atEnd.ok());
    EXPECT_EQ(*atEnd, "");
    auto past = cj::util::read_range(p, 1000, 5);
    ASSERT_TRUE(past.ok());
    EXPECT_EQ(*past, "");
    auto zero = cj::util::read_range(p, 3, 0);
    ASSERT_TRUE(zero.ok());
    EXPECT_EQ(*zero, "");
    auto missing = cj::util::read_range(dir.path() + "/missing", 0, 5);
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(*missing, "");
}

TEST(UtilFilesTest, ReadRangeDoesNotFollowASymlink) {
    TempDir dir;
    std::string target = dir.write("secret", "do not read");
    std::string link = dir.path() + "/events.jsonl";
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    auto r = cj::util::read_range(link, 0, 100);
    EXPECT_FALSE(r.ok()) << "read through a symlink: " << (r.ok() ? *r : "");
}

TEST(UtilFilesTest, FileSizeOfRegularFilesOnly) {
    TempDir dir;
    std::string p = dir.write("f", "12345");
    EXPECT_EQ(cj::util::file_size(p), std::optional<std::uint64_t>(5));
    EXPECT_FALSE(cj::util::file_size(dir.path() + "/missing").has_value());
    ASSERT_EQ(::symlink(p.c_str(), (dir.path() + "/l").c_str()), 0);
    EXPECT_FALSE(cj::util::file_size(dir.path() + "/l").has_value());
    EXPECT_FALSE(cj::util::file_size(dir.path()).has_value());
}

TEST(UtilFilesTest, MakePrivateDirsCreatesEveryLevel0700) {
    TempDir dir;
    std::string deep = dir.path() + "/state/claude-jobs/jobs";
    ASSERT_TRUE(cj::util::make_private_dirs(deep).ok());
    for (const std::string& p :
         {dir.path() + "/state", dir.path() + "/state/claude-jobs", deep}) {
        EXPECT_TRUE(fs::is_directory(p)) << p;
        EXPECT_EQ(mode_of(p), 0700u) << p;
    }
    // Again: nothing to do, still fine.
    EXPECT_TRUE(cj::util::make_private_dirs(deep).ok());
}

TEST(UtilFilesTest, MakePrivateDirsRefusesASymlinkAtTheEnd) {
    TempDir dir;
    std::string real = dir.path() + "/real";
    ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
    std::string link = dir.path() + "/jobs";
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    auto r = cj::util::make_private_dirs(link);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, claude_jobs::ErrorCode::PermissionDenied);
    EXPECT_NE(r.error().message.find("jobs"), std::string::npos);
}

TEST(UtilFilesTest, MakePrivateDirsRefusesASymlinkWrittenWithATrailingSlash) {
    TempDir dir;
    std::string real = dir.path() + "/real";
    ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
    std::string link = dir.path() + "/jobs";
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    EXPECT_FALSE(cj::util::make_private_dirs(link + "/").ok());
}

TEST(UtilFilesTest, MakePrivateDirsRefusesAFileInTheWay) {
    TempDir dir;
    std::string file = dir.write("plain", "x");
    EXPECT_FALSE(cj::util::make_private_dirs(file).ok());
    EXPECT_FALSE(cj::util::make_private_dirs(file + "/below").ok());
}

TEST(UtilFilesTest, RemoveTreeRemovesLinksNotTheirTargets) {
    TempDir dir;
    std::string outside = dir.path() + "/outside";
    ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
    std::ofstream(outside + "/keep") << "keep";
    std::string job = dir.path() + "/job";
    ASSERT_EQ(::mkdir(job.c_str(), 0700), 0);
    std::ofstream(job + "/events.jsonl") << "{}\n";
    ASSERT_EQ(::symlink(outside.c_str(), (job + "/link").c_str()), 0);
    ASSERT_TRUE(cj::util::remove_tree(job).ok());
    EXPECT_FALSE(fs::exists(fs::symlink_status(job)));
    EXPECT_EQ(read_text(outside + "/keep"), "keep");
    EXPECT_TRUE(cj::util::remove_tree(job).ok()) << "a missing tree is fine";
}

TEST(UtilClockTest, Iso8601FormatsUtcWithMilliseconds) {
    EXPECT_EQ(cj::util::iso8601(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(cj::util::iso8601(1700000000123), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(cj::util::iso8601(951782400000), "2000-02-29T00:00:00.000Z");
    EXPECT_EQ(cj::util::iso8601(951868799999), "2000-02-29T23:59:59.999Z");
    EXPECT_EQ(cj::util::iso8601(4102444800007), "2100-01-01T00:00:00.007Z");
}

TEST(UtilClockTest, NowIsMillisecondsSinceTheEpoch) {
    std::int64_t now = cj::util::now_ms();
    std::int64_t secs = static_cast<std::int64_t>(::time(nullptr));
    EXPECT_GE(now / 1000, secs - 5);
    EXPECT_LE(now / 1000, secs + 5);
    std::string text = cj::util::iso8601(now);
    EXPECT_EQ(text.size(), 24u) << text;
    EXPECT_EQ(text.back(), 'Z');
}

}  // namespace

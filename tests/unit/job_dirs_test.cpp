// Tests of where the core finds a job's files, and of the stderr tail a view shows: bounded,
// cut at a character boundary, empty when there is no stderr.
#include "core/jobs/job_dirs.h"

#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using cj::jobs::JobDirs;
using cj::jobs::read_stderr_tail;
using cj::testing::TempDir;
namespace job_files = cj::jobs::job_files;

// Whether text is whole UTF-8 (no character cut at either end).
bool whole_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t n = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xE  ? 3
                        : (c >> 3) == 0x1E ? 4
                                           : 0;
        if (n == 0 || i + n > text.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

TEST(JobDirsTest, PathsAreUnderTheJobsRoot) {
    JobDirs dirs{"/state/jobs"};
    EXPECT_EQ(dirs.dir("abc"), "/state/jobs/abc");
    EXPECT_EQ(dirs.file("abc", job_files::kExit), "/state/jobs/abc/exit.json");
    EXPECT_EQ(dirs.file("abc", job_files::kEvents), "/state/jobs/abc/events.jsonl");
}

// The names are a contract with the supervisor and every backend (SPEC §3.4).
TEST(JobDirsTest, FileNamesAreTheJobFolderContract) {
    EXPECT_STREQ(job_files::kPrompt, "prompt.txt");
    EXPECT_STREQ(job_files::kEvents, "events.jsonl");
    EXPECT_STREQ(job_files::kStderr, "stderr.log");
    EXPECT_STREQ(job_files::kExit, "exit.json");
    EXPECT_STREQ(job_files::kInteractive, "interactive.jsonl");
}

TEST(JobDirsTest, StderrTailIsTheLastBytes) {
    TempDir dir;
    JobDirs dirs{dir.path()};
    std::string text;
    for (int i = 0; i < 500; ++i) text += "line " + std::to_string(i) + "\n";
    dir.write("j1/stderr.log", text);
    EXPECT_EQ(read_stderr_tail(dirs, "j1", 100), text.substr(text.size() - 100));
    EXPECT_EQ(read_stderr_tail(dirs, "j1", text.size() + 50), text);
}

TEST(JobDirsTest, StderrTailIsCutAtACharacterBoundary) {
    TempDir dir;
    JobDirs dirs{dir.path()};
    std::string text;
    for (int i = 0; i < 300; ++i) text += "é€";  // 2 + 3 bytes
    dir.write("j1/stderr.log", text);
    for (std::size_t max : {1u, 2u, 3u, 4u, 99u, 100u, 101u, 102u}) {
        std::string tail = read_stderr_tail(dirs, "j1", max);
        EXPECT_LE(tail.size(), max) << max;
        EXPECT_GE(tail.size() + 3, max) << "at most one cut character is dropped, max " << max;
        EXPECT_TRUE(whole_utf8(tail)) << max;
        EXPECT_EQ(tail, text.substr(text.size() - tail.size())) << max;
    }
}

TEST(JobDirsTest, MissingStderrIsEmpty) {
    TempDir dir;
    JobDirs dirs{dir.path()};
    EXPECT_EQ(read_stderr_tail(dirs, "nojob", 100), "");
    dir.write("j1/prompt.txt", "x");  // a folder without stderr.log
    EXPECT_EQ(read_stderr_tail(dirs, "j1", 100), "");
}

}  // namespace

// Tests of the exit watch: a running job's exit record appearing makes a housekeeping pass
// due; a record that was already there at the last refresh (an end not yet recordable) does
// not, so a stuck end never turns the loop into a busy one.
#include "core/jobs/exit_watch.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using cj::jobs::ExitWatch;
using cj::jobs::JobDirs;
using cj::jobs::JobIndex;
using cj::jobs::JobRecord;

TEST(ExitWatchTest, ANewExitRecordMakesAPassDueAnOldOneDoesNot) {
    cj::testing::TempDir dir("cj-exit-watch");
    auto index = JobIndex::open(dir.path() + "/jobs.db");
    ASSERT_TRUE(index.ok());
    JobRecord r;
    r.id = "j1";
    r.backend = "local";
    r.workFolder = "/tmp";
    r.spec = "{}";
    r.createdAt = 1;
    ASSERT_TRUE((*index)->insert(r, 4).ok());
    JobDirs dirs{dir.path() + "/jobs"};
    std::filesystem::create_directories(dirs.dir("j1"));
    ExitWatch watch(**index, dirs);
    watch.refresh();
    EXPECT_FALSE(watch.any_exited());
    std::ofstream(dirs.file("j1", cj::jobs::job_files::kExit)) << "{}";
    EXPECT_TRUE(watch.any_exited());
    watch.refresh();  // the pass could not record it: the next regular pass retries
    EXPECT_FALSE(watch.any_exited());
}

}  // namespace

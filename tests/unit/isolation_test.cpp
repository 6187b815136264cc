// Tests of isolation and the change record against real git in temporary repositories: a
// worktree per job (no job sees another's edits), carrying uncommitted work over, a copy for a
// plain folder, the record (files, commits, the patch, the original changing meanwhile), and
// delivery (apply with a dry run, conflicts file by file and nothing half-applied, merge,
// discard, expiry that keeps a branch nobody applied). Hostile names never reach a shell.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/config/config.h"
#include "core/jobs/changes.h"
#include "core/jobs/isolation.h"
#include "core/util/clock.h"
#include "support/temp_dir.h"
#include "support/text_files.h"

namespace {

using cj::jobs::ApplyMode;
using cj::jobs::ChangeRecorder;
using cj::jobs::Delivery;
using cj::jobs::Isolation;
using cj::jobs::IsolationMode;
using cj::jobs::IsolationRecord;
using cj::jobs::JobDirs;
using cj::testing::TempDir;
namespace fs = std::filesystem;
namespace git = cj::jobs::git;
using cj::testing::read_text;
using cj::testing::write_text;

class IsolationTest : public ::testing::Test {
  protected:
    IsolationTest() {
        fs::create_directories(repo_);
        fs::create_directories(dirs_.root);
        must(repo_, {"init", "-q", "-b", "main"});
        write_text(repo_ + "/a.txt", "one\ntwo\nthree\n");
        write_text(repo_ + "/b.txt", "bee\n");
        must(repo_, {"add", "-A"});
        must(repo_, {"commit", "-q", "-m", "first"});
    }

    std::string must(const std::string& dir, const std::vector<std::string>& args) {
        auto r = git_.must(dir, args);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? git::trimmed(*r) : "";
    }

    IsolationRecord prepare(const std::string& id, IsolationMode mode, bool uncommitted = false,
                            const std::string& folder = "") {
        fs::create_directories(dirs_.dir(id));
        auto r = isolation_.prepare(id, folder.empty() ? repo_ : folder, mode, uncommitted);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : IsolationRecord{};
    }

    cj::jobs::ChangeRecord record(const std::string& id) {
        auto r = changes_.record(id);
        EXPECT_TRUE(r.ok() && *r) << (r.ok() ? "no record" : r.error().message);
        return r.ok() && *r ? **r : cj::jobs::ChangeRecord{};
    }

    cj::jobs::ApplyOutcome apply(const std::string& id, bool check,
                                 ApplyMode mode = ApplyMode::Patch) {
        auto r = changes_.apply(id, mode, check);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : cj::jobs::ApplyOutcome{};
    }

    TempDir tmp_{"cj-isolation"};
    std::string repo_ = fs::canonical(tmp_.path()).string() + "/repo";
    JobDirs dirs_{tmp_.path() + "/state/jobs"};
    git::Git git_;
    Isolation isolation_{tmp_.path() + "/state", dirs_, git_};
    ChangeRecorder changes_{isolation_};
};

TEST_F(IsolationTest, ThreeWorktreeJobsAreIsolatedAndTheOverlappingOneConflicts) {
    auto one = prepare("one", IsolationMode::Worktree);
    auto two = prepare("two", IsolationMode::Worktree);
    auto three = prepare("three", IsolationMode::Worktree);
    EXPECT_EQ(one.branch, "claude-jobs/one");
    EXPECT_EQ(must(repo_, {"rev-parse", "claude-jobs/two"}), must(repo_, {"rev-parse", "HEAD"}));
    write_text(one.runFolder + "/a.txt", "ONE\ntwo\nthree\n");
    write_text(two.runFolder + "/b.txt", "bee two\n");
    write_text(two.runFolder + "/new/c.bin", std::string("\0\1\2binary", 9));
    write_text(three.runFolder + "/a.txt", "THREE\ntwo\nthree\n");
    EXPECT_EQ(read_text(two.runFolder + "/a.txt"), "one\ntwo\nthree\n");  // nobody sees another's edit
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "one\ntwo\nthree\n");

    auto r1 = record("one");
    auto r2 = record("two");
    auto r3 = record("three");
    ASSERT_EQ(r1.files.size(), 1u);
    EXPECT_EQ(r1.files[0].path, "a.txt");
    EXPECT_EQ(r1.files[0].insertions, 1);
    EXPECT_EQ(r1.files[0].deletions, 1);
    ASSERT_EQ(r2.files.size(), 2u);
    EXPECT_TRUE(r2.files[1].binary);
    EXPECT_EQ(r1.delivery, Delivery::Pending);
    EXPECT_NE(r1.applyCommand.find("apply"), std::string::npos);
    EXPECT_NE(read_text(r1.patchFile).find("+ONE"), std::string::npos);

    for (const char* id : {"one", "two", "three"}) {
        auto dry = apply(id, true);  // each applies cleanly alone, and a dry run changes nothing
        EXPECT_FALSE(dry.applied);
        EXPECT_TRUE(dry.conflicts.empty()) << id << ": " << dry.message;
    }
    EXPECT_EQ(must(repo_, {"status", "--porcelain"}), "");
    EXPECT_TRUE(apply("one", false).applied);
    EXPECT_TRUE(apply("two", false).applied);
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "ONE\ntwo\nthree\n");
    EXPECT_EQ(read_text(repo_ + "/new/c.bin"), std::string("\0\1\2binary", 9));
    EXPECT_EQ(changes_.load("one")->delivery, Delivery::Applied);

    auto clash = apply("three", false);
    EXPECT_FALSE(clash.applied);
    ASSERT_EQ(clash.conflicts.size(), 1u) << clash.message;
    EXPECT_EQ(clash.conflicts[0].path, "a.txt");
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "ONE\ntwo\nthree\n");  // nothing half-applied
    EXPECT_EQ(changes_.load("three")->delivery, Delivery::Pending);
}

// Git trusts an index entry's stat only when the file is older than the index; an edit of the
// same size made in the second of the checkout is found by its content. The record's snapshot
// copies the index, and the copy must keep that time (a copy dated now lost such an edit).
TEST_F(IsolationTest, ASameSizeEditInTheSecondOfTheCheckoutIsRecorded) {
    auto job = prepare("racy", IsolationMode::Worktree);
    must(job.checkout, {"config", "core.trustctime", "false"});  // the rewrite's ctime is now
    const std::string file = job.runFolder + "/a.txt";
    const auto then = fs::file_time_type::clock::now() - std::chrono::hours(1);
    fs::last_write_time(file, then);
    must(job.checkout, {"update-index", "-q", "--refresh"});  // the entry holds that time
    write_text(file, "ONE\ntwo\nthree\n");                  // same size, same inode
    fs::last_write_time(file, then);
    auto index = must(job.checkout, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
    fs::last_write_time(index, then);  // written in the same instant as the file: racily clean

    auto rec = record("racy");
    ASSERT_EQ(rec.files.size(), 1u);
    EXPECT_EQ(rec.files[0].path, "a.txt");
    EXPECT_NE(read_text(rec.patchFile).find("+ONE"), std::string::npos);
}

TEST_F(IsolationTest, IncludeUncommittedCarriesStagedUnstagedAndUntrackedAndLeavesTheOriginal) {
    write_text(repo_ + "/a.txt", "staged\n");
    must(repo_, {"add", "a.txt"});
    write_text(repo_ + "/b.txt", "unstaged\n");
    write_text(repo_ + "/u.txt", "untracked\n");
    std::string before = must(repo_, {"status", "--porcelain"});
    auto job = prepare("carry", IsolationMode::Worktree, true);
    EXPECT_EQ(must(repo_, {"status", "--porcelain"}), before);
    EXPECT_EQ(read_text(job.runFolder + "/a.txt"), "staged\n");
    EXPECT_EQ(read_text(job.runFolder + "/b.txt"), "unstaged\n");
    EXPECT_EQ(read_text(job.runFolder + "/u.txt"), "untracked\n");
    EXPECT_EQ(must(job.runFolder, {"diff", "--cached", "--name-only"}), "a.txt");
    EXPECT_EQ(must(job.runFolder, {"diff", "--name-only"}), "b.txt");
    EXPECT_EQ(must(job.runFolder, {"ls-files", "--others", "--exclude-standard"}), "u.txt");
    write_text(job.runFolder + "/u.txt", "untracked, then edited by the job\n");
    auto rec = record("carry");  // only what the job did, not what it was given
    ASSERT_EQ(rec.files.size(), 1u);
    EXPECT_EQ(rec.files[0].path, "u.txt");
    EXPECT_FALSE(rec.originalChangedDuringRun);
    EXPECT_TRUE(apply("carry", false).applied);
    EXPECT_EQ(read_text(repo_ + "/u.txt"), "untracked, then edited by the job\n");
}

TEST_F(IsolationTest, AJobsCommitsAreListedAndMergeMergesTheBranch) {
    auto job = prepare("commits", IsolationMode::Worktree);
    write_text(job.runFolder + "/feature.txt", "feature\n");
    must(job.runFolder, {"add", "feature.txt"});
    must(job.runFolder, {"commit", "-q", "-m", "Add the feature"});
    write_text(job.runFolder + "/notes.txt", "left uncommitted\n");
    auto rec = record("commits");
    ASSERT_EQ(rec.commits.size(), 1u);
    EXPECT_EQ(rec.commits[0].subject, "Add the feature");
    EXPECT_FALSE(rec.leftoverCommit.empty());  // the uncommitted rest goes on the branch too
    EXPECT_EQ(rec.files.size(), 2u);
    EXPECT_NE(rec.mergeCommand.find("merge"), std::string::npos);
    auto dry = apply("commits", true, ApplyMode::Merge);
    EXPECT_TRUE(dry.conflicts.empty()) << dry.message;
    EXPECT_FALSE(fs::exists(repo_ + "/feature.txt"));
    auto merged = apply("commits", false, ApplyMode::Merge);
    EXPECT_TRUE(merged.applied) << merged.message;
    EXPECT_EQ(read_text(repo_ + "/feature.txt"), "feature\n");
    EXPECT_EQ(read_text(repo_ + "/notes.txt"), "left uncommitted\n");
    EXPECT_EQ(changes_.load("commits")->delivery, Delivery::Merged);
}

TEST_F(IsolationTest, AMergeThatConflictsSaysWhereAndChangesNothing) {
    auto job = prepare("clash", IsolationMode::Worktree);
    write_text(job.runFolder + "/a.txt", "job\n");
    must(job.runFolder, {"commit", "-qam", "job edit"});
    write_text(repo_ + "/a.txt", "original\n");
    must(repo_, {"commit", "-qam", "original edit"});
    auto rec = record("clash");
    EXPECT_TRUE(rec.originalChangedDuringRun);
    EXPECT_EQ(rec.overlapping, std::vector<std::string>{"a.txt"});
    std::string head = must(repo_, {"rev-parse", "HEAD"});
    auto out = apply("clash", false, ApplyMode::Merge);
    EXPECT_FALSE(out.applied);
    ASSERT_EQ(out.conflicts.size(), 1u);
    EXPECT_EQ(out.conflicts[0].path, "a.txt");
    EXPECT_EQ(must(repo_, {"rev-parse", "HEAD"}), head);
    EXPECT_EQ(must(repo_, {"status", "--porcelain"}), "");
}

TEST_F(IsolationTest, APlainFolderNeedsCopyAndACopyReportsItsChanges) {
    std::string plain = fs::canonical(tmp_.path()).string() + "/plain";
    write_text(plain + "/x.txt", "x\n");
    fs::create_directories(dirs_.dir("wt"));
    auto refused = isolation_.prepare("wt", plain, IsolationMode::Worktree, false);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("\"copy\""), std::string::npos);
    EXPECT_FALSE(fs::exists(isolation_.checkouts_root() + "/wt"));

    auto job = prepare("copy", IsolationMode::Copy, false, plain);
    EXPECT_NE(job.runFolder, plain);
    write_text(job.runFolder + "/x.txt", "x changed\n");
    write_text(job.runFolder + "/y.txt", "new\n");
    EXPECT_EQ(read_text(plain + "/x.txt"), "x\n");
    auto rec = record("copy");
    ASSERT_EQ(rec.files.size(), 2u);
    EXPECT_EQ(rec.files[0].path, "x.txt");
    EXPECT_TRUE(apply("copy", true).conflicts.empty());
    EXPECT_TRUE(apply("copy", false).applied);
    EXPECT_EQ(read_text(plain + "/y.txt"), "new\n");
}

TEST_F(IsolationTest, NoIsolationRecordsWhatChangedInTheFolderItself) {
    auto job = prepare("inplace", IsolationMode::None);
    EXPECT_EQ(job.runFolder, repo_);
    write_text(repo_ + "/b.txt", "changed in place\n");
    auto rec = record("inplace");
    ASSERT_EQ(rec.files.size(), 1u);
    EXPECT_EQ(rec.delivery, Delivery::Nothing);
    EXPECT_FALSE(changes_.apply("inplace", ApplyMode::Patch, false).ok());
}

TEST_F(IsolationTest, DiscardRemovesTheWorktreeAndBranch) {
    auto job = prepare("gone", IsolationMode::Worktree);
    write_text(job.runFolder + "/a.txt", "x\n");
    auto done = changes_.discard("gone");
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->delivery, Delivery::Discarded);
    EXPECT_FALSE(fs::exists(job.checkout));
    EXPECT_FALSE(git_.run(repo_, {"rev-parse", "--verify", "-q", "claude-jobs/gone"}).ok());
    EXPECT_NE(read_text(dirs_.file("gone", "changes.patch")).find("+x"), std::string::npos);
}

TEST_F(IsolationTest, ExpiryKeepsABranchWithUnappliedCommitsAndSaysSo) {
    auto kept = prepare("kept", IsolationMode::Worktree);
    write_text(kept.runFolder + "/k.txt", "k\n");
    auto idle = prepare("idle", IsolationMode::Worktree);
    std::string note;
    EXPECT_FALSE(changes_.expire("kept", cj::util::now_ms(), 7, note));  // not old yet
    EXPECT_TRUE(changes_.expire("kept", 1, 7, note));
    EXPECT_NE(note.find("kept branch claude-jobs/kept"), std::string::npos);
    EXPECT_FALSE(fs::exists(kept.checkout));
    EXPECT_TRUE(git_.run(repo_, {"rev-parse", "--verify", "-q", "claude-jobs/kept"}).ok());
    note.clear();
    EXPECT_TRUE(changes_.expire("idle", 1, 7, note));
    EXPECT_EQ(note, "");
    EXPECT_FALSE(git_.run(repo_, {"rev-parse", "--verify", "-q", "claude-jobs/idle"}).ok());
}

TEST_F(IsolationTest, HostileNamesAreRefusedOrHandledWithoutAShell) {
    EXPECT_FALSE(git::job_branch("a..b").ok());
    EXPECT_FALSE(git::job_branch("x.lock").ok());
    EXPECT_FALSE(git::job_branch("-x").ok());
    EXPECT_FALSE(git::job_branch(".x").ok());
    EXPECT_TRUE(git::job_branch("job-1.2_x").ok());
    EXPECT_FALSE(git::check_path("workFolder", "/tmp/a\nb").ok());
    EXPECT_FALSE(git::check_path("workFolder", "relative").ok());
    fs::create_directories(dirs_.dir("a..b"));
    auto bad = isolation_.prepare("a..b", repo_, IsolationMode::Worktree, false);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("branch"), std::string::npos);

    std::string odd = fs::canonical(tmp_.path()).string() + "/we ird $(touch pwned) 'q' -x";
    fs::rename(repo_, odd);
    auto job = prepare("odd", IsolationMode::Worktree, false, odd);
    write_text(job.runFolder + "/a.txt", "odd\n");
    record("odd");
    EXPECT_NE(changes_.load("odd")->applyCommand.find("/we ird $(touch pwned) '\\''q'\\'' -x'"),
              std::string::npos)
        << "quoted for a shell: " << changes_.load("odd")->applyCommand;
    EXPECT_TRUE(apply("odd", false).applied);
    EXPECT_EQ(read_text(odd + "/a.txt"), "odd\n");
    EXPECT_FALSE(fs::exists(fs::path(tmp_.path()) / "pwned"));
    EXPECT_FALSE(fs::exists("pwned"));
}

TEST_F(IsolationTest, ADetachedHeadAndALockedIndexStillWork) {
    must(repo_, {"checkout", "-q", "--detach"});
    std::string head = must(repo_, {"rev-parse", "HEAD"});
    write_text(repo_ + "/.git/index.lock", "");  // someone holds the index
    auto job = prepare("detached", IsolationMode::Worktree, true);
    EXPECT_EQ(job.baseCommit, head);
    write_text(job.runFolder + "/a.txt", "detached\n");
    EXPECT_EQ(record("detached").files.size(), 1u);
    EXPECT_TRUE(fs::exists(repo_ + "/.git/index.lock"));
}

TEST_F(IsolationTest, ARepositoryWithASubmoduleGetsAWorktreeWithoutItsCheckout) {
    std::string lib = fs::canonical(tmp_.path()).string() + "/lib";
    fs::create_directories(lib);
    must(lib, {"init", "-q"});
    write_text(lib + "/l.txt", "lib\n");
    must(lib, {"add", "-A"});
    must(lib, {"commit", "-qm", "lib"});
    must(repo_, {"-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "lib"});
    must(repo_, {"commit", "-qm", "add lib"});
    auto job = prepare("sub-module", IsolationMode::Worktree, true);
    EXPECT_TRUE(fs::is_directory(job.runFolder + "/lib"));
    EXPECT_FALSE(fs::exists(job.runFolder + "/lib/l.txt")) << "submodules are not checked out";
    write_text(job.runFolder + "/a.txt", "with a submodule\n");
    auto rec = record("sub-module");
    ASSERT_EQ(rec.files.size(), 1u) << "the empty submodule folder is no change";
    EXPECT_EQ(rec.files[0].path, "a.txt");
    EXPECT_TRUE(apply("sub-module", false).applied);
}

TEST_F(IsolationTest, AWorkFolderInsideTheRepositoryRunsInTheSameSubfolder) {
    write_text(repo_ + "/sub/s.txt", "s\n");
    must(repo_, {"add", "-A"});
    must(repo_, {"commit", "-qm", "sub"});
    auto job = prepare("sub", IsolationMode::Worktree, false, repo_ + "/sub");
    EXPECT_EQ(job.runFolder, job.checkout + "/sub");
    write_text(job.runFolder + "/s.txt", "S\n");
    auto rec = record("sub");
    ASSERT_EQ(rec.files.size(), 1u);
    EXPECT_EQ(rec.files[0].path, "sub/s.txt");
    EXPECT_TRUE(apply("sub", false).applied);
    EXPECT_EQ(read_text(repo_ + "/sub/s.txt"), "S\n");
}

}  // namespace

namespace {

TEST(IsolationConfigTest, TheDefaultComesFromTheRequestThenARouteThenTheConfig) {
    auto config = cj::config::parse(
        R"({"isolation": {"mode": "copy", "keepDays": 3},
            "backends": {"local": {"plugin": "local-detached"},
                         "wt": {"plugin": "local-detached", "isolation": "worktree"}},
            "routes": [{"workFolder": "/repos/**", "backend": "local", "isolation": "worktree"}]})",
        "t", {{"HOME", "/h"}});
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->isolation.keepDays, 3);
    EXPECT_EQ(cj::config::choose_isolation(*config, "none", "/repos/a"), "none");
    EXPECT_EQ(cj::config::choose_isolation(*config, "", "/repos/a"), "worktree");
    EXPECT_EQ(cj::config::choose_isolation(*config, "", "/elsewhere"), "copy");
    EXPECT_EQ(cj::config::choose_isolation(*config, "", "/elsewhere", "wt"), "worktree");
    EXPECT_FALSE(config->find_backend("wt")->settings.contains("isolation"))
        << "not the module's setting";
    EXPECT_FALSE(cj::config::parse(R"({"isolation": {"mode": "chroot"}})", "t", {{"HOME", "/h"}}));
    EXPECT_FALSE(cj::config::parse(R"({"isolation": {"keep": 1}})", "t", {{"HOME", "/h"}}));
    EXPECT_EQ(cj::config::Config{}.isolation.mode, "none");
}

}  // namespace

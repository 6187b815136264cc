// Parallel jobs on one repository, end to end through the server over stdio and the command
// line, with real git and the stand-in claude: three worktree jobs at once (no job sees
// another's edits, each patch applies alone, the overlapping one conflicts, --check changes
// nothing), the change record after a cancel and after a restart, and discard.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "core/jobs/git.h"
#include "harness.h"
#include "support/text_files.h"

namespace cj::testing {
namespace {

namespace fs = std::filesystem;

class IsolationFlowTest : public ::testing::Test {
  protected:
    void SetUp() override {
        fs::create_directories(repo_);
        git({"init", "-q", "-b", "main"});
        std::ofstream(repo_ + "/a.txt") << "a\n";
        std::ofstream(repo_ + "/b.txt") << "b\n";
        git({"add", "-A"});
        git({"commit", "-qm", "first"});
        server_ = std::make_unique<Server>(state_.path(), default_config(state_.path()));
        server_->initialize();
    }
    std::string git(const std::vector<std::string>& args) {
        auto r = git_.must(repo_, args);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? jobs::git::trimmed(*r) : "";
    }
    std::string start(const std::string& id, const std::string& prompt) {
        return server_->ok("claude_start", {{"prompt", prompt},
                                            {"workFolder", repo_},
                                            {"jobId", id},
                                            {"isolation", "worktree"}})["jobId"];
    }
    json apply(const std::string& id, bool check, const std::string& mode = "patch") {
        return server_->ok("claude_apply", {{"jobId", id}, {"mode", mode}, {"check", check}});
    }
    CliResult cli(std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", state_.path() + "/config.json"});
        return run_cli(args, {});
    }

    TempDir state_{"cj-iso-state"};
    TempDir work_{"cj-iso-work"};
    std::string repo_ = fs::canonical(work_.path()).string() + "/repo";
    jobs::git::Git git_;
    std::unique_ptr<Server> server_;
};

TEST_F(IsolationFlowTest, ThreeJobsOnOneRepositoryReviewAndApply) {
    // Each writes, sleeps (so all three run at once), then reports what it sees of b.txt.
    start("one", "write a.txt one\nsleep 1\nwrite seen.txt x");
    start("two", "write b.txt two\nwrite c.txt new\nsleep 1");
    start("three", "write a.txt three\nsleep 1");
    for (const char* id : {"one", "two", "three"})
        EXPECT_EQ(server_->wait_done(id)["status"], "completed") << id;
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "a\n") << "the original is untouched";
    EXPECT_FALSE(fs::exists(state_.path() + "/worktrees/one/c.txt")) << "no job sees another's";

    json view = server_->ok("claude_check", {{"jobId", "two"}});
    ASSERT_TRUE(view.contains("changes")) << view.dump();
    json changes = view["changes"];
    EXPECT_EQ(changes["files"].size(), 2u);
    EXPECT_EQ(changes["branch"], "claude-jobs/two");
    EXPECT_EQ(changes["delivery"], "pending");
    EXPECT_TRUE(has(view["output"], "[changes: 2 files (+2 -1)")) << view["output"];
    EXPECT_TRUE(has(read_text(changes["patchFile"]), "+two"));

    CliResult ls = cli({"ls"});
    EXPECT_TRUE(has(ls.out, "unapplied 2 files")) << ls.out;
    CliResult dry = cli({"apply", "three", "--check"});
    EXPECT_EQ(dry.status, 0) << dry.out << dry.err;
    EXPECT_EQ(git({"status", "--porcelain"}), "") << "--check changes nothing";

    EXPECT_TRUE(apply("one", false)["applied"]);
    EXPECT_TRUE(apply("two", false)["applied"]);
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "one\n");
    EXPECT_EQ(read_text(repo_ + "/c.txt"), "new\n");
    json clash = apply("three", true);
    EXPECT_FALSE(clash["ok"]);
    ASSERT_EQ(clash["conflicts"].size(), 1u) << clash.dump();
    EXPECT_EQ(clash["conflicts"][0]["path"], "a.txt");
    CliResult refused = cli({"apply", "three"});
    EXPECT_EQ(refused.status, 1);
    EXPECT_TRUE(has(refused.out, "conflict  a.txt")) << refused.out;
    EXPECT_EQ(read_text(repo_ + "/a.txt"), "one\n") << "nothing half-applied";

    CliResult gone = cli({"discard", "three"});
    EXPECT_EQ(gone.status, 0) << gone.out << gone.err;
    EXPECT_FALSE(fs::exists(state_.path() + "/worktrees/three"));
    EXPECT_NE(git_.run(repo_, {"rev-parse", "-q", "--verify", "claude-jobs/three"}).exitCode, 0);
}

TEST_F(IsolationFlowTest, ACancelledJobAndOneThatEndedWhileNoServerRanKeepTheirRecord) {
    start("cancelled", "write a.txt cancelled\nsleep 30");
    start("restart", "write b.txt restart\nsleep 2");
    // Wait until the first one wrote its file, then cancel it.
    for (int i = 0; i < 250; ++i) {
        if (read_text(state_.path() + "/worktrees/cancelled/a.txt") == "cancelled\n") break;
        usleep(20000);
    }
    json cancelled = server_->ok("claude_cancel", {{"jobId", "cancelled"}, {"graceSec", 1}});
    EXPECT_EQ(cancelled["status"], "cancelled");
    server_->close_stdin();
    EXPECT_EQ(server_->wait_exit(std::chrono::seconds(10)), 0);
    sleep(3);  // the second job ends while no server runs
    server_ = std::make_unique<Server>(state_.path(), default_config(state_.path()));
    server_->initialize();
    for (const char* id : {"cancelled", "restart"}) {
        json view = server_->wait_done(id);
        ASSERT_TRUE(view.contains("changes")) << id << view.dump();
        EXPECT_EQ(view["changes"]["files"].size(), 1u) << id;
        EXPECT_TRUE(fs::exists(state_.path() + "/worktrees/" + id)) << "kept for inspection";
    }
    EXPECT_TRUE(apply("restart", false)["applied"]);
    EXPECT_EQ(read_text(repo_ + "/b.txt"), "restart\n");
}

TEST_F(IsolationFlowTest, ATimedOutJobKeepsItsRecordAndItsWorktreeUntilDiscarded) {
    server_->ok("claude_start", {{"prompt", "write a.txt late\nsleep 30"},
                                 {"workFolder", repo_},
                                 {"jobId", "slow"},
                                 {"timeoutSec", 1},
                                 {"isolation", "worktree"},
                                 {"includeUncommitted", true}});
    json view = server_->wait_done("slow");
    EXPECT_EQ(view["status"], "timed_out");
    ASSERT_TRUE(view.contains("changes")) << view.dump();
    EXPECT_EQ(view["changes"]["files"][0]["path"], "a.txt");
    EXPECT_TRUE(fs::exists(state_.path() + "/worktrees/slow/a.txt"));
    CliResult gc = cli({"gc"});
    EXPECT_EQ(gc.status, 0);
    EXPECT_TRUE(fs::exists(state_.path() + "/worktrees/slow")) << "kept: it ended just now";
    EXPECT_EQ(cli({"discard", "slow"}).status, 0);
    EXPECT_FALSE(fs::exists(state_.path() + "/worktrees/slow"));
}

TEST_F(IsolationFlowTest, TheCommandLineStartsAWorktreeJobWithUncommittedWork) {
    std::ofstream(repo_ + "/b.txt") << "b, not yet committed\n";
    CliResult started = cli({"start", "-C", repo_, "--isolation", "worktree",
                             "--include-uncommitted", "--job-id", "from-cli", "write c.txt c"});
    ASSERT_EQ(started.status, 0) << started.err;
    json view = server_->wait_done("from-cli");
    EXPECT_EQ(read_text(state_.path() + "/worktrees/from-cli/b.txt"), "b, not yet committed\n");
    ASSERT_TRUE(view.contains("changes")) << view.dump();
    ASSERT_EQ(view["changes"]["files"].size(), 1u) << "only what the job did";
    EXPECT_EQ(view["changes"]["files"][0]["path"], "c.txt");
    CliResult shown = cli({"show", "from-cli"});
    EXPECT_TRUE(has(shown.out, "changes: 1 file (+1 -0)")) << shown.out;
    EXPECT_TRUE(has(shown.out, "git -C")) << shown.out;
    CliResult bad = cli({"start", "-C", repo_, "--isolation", "copy", "--include-uncommitted", "x"});
    EXPECT_EQ(bad.status, 2) << bad.err;
}

TEST_F(IsolationFlowTest, WorktreeOnAPlainFolderNamesCopy) {
    json refused = server_->call("claude_start", {{"prompt", "say x"},
                                                  {"workFolder", work_.path()},
                                                  {"isolation", "worktree"}});
    EXPECT_TRUE(refused["isError"]);
    EXPECT_TRUE(has(refused.dump(), "use isolation \\\"copy\\\"")) << refused.dump();
}

}  // namespace
}  // namespace cj::testing

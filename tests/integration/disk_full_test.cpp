// A full disk, for real: the state dir (job index and job folders) on a small tmpfs of the
// test's own, filled up while a job runs. The job dies of it, and its end must say "no space
// left on device" — at once, or once space returns when the job index itself cannot be
// written — whether the server kept running, was killed and restarted meanwhile, or the job's
// supervisor vanished too. Needs root to mount (CI runs as root); skipped otherwise. The
// server's config and log stay on the ordinary disk, so only the state dir fills up.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>

#include "claude_jobs/job_folder.h"
#include "harness.h"
#include "support/small_disk.h"

namespace cj::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kNoSpace[] = "no space left on device";

// Writes for a while after a pause: long enough to fill the disk under it first.
constexpr char kFillingPrompt[] = "sleep 2\noutput 400000\nsay finished";

bool says_no_space(const json& view) {
    return view["reason"].is_string() &&
           view["reason"].get<std::string>().find(kNoSpace) != std::string::npos;
}

class DiskFullTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!disk_.why().empty()) GTEST_SKIP() << disk_.why();
        state_ = disk_.path() + "/state";
    }
    json config() { return default_config(state_); }
    std::unique_ptr<Server> start_server() {
        auto server = std::make_unique<Server>(home_.path(), config());
        server->initialize();
        return server;
    }
    std::string job_file(const std::string& id, const std::string& name) {
        return state_ + "/jobs/" + id + "/" + name;
    }
    // Starts the filling job, waits until its supervisor runs, fills the disk.
    std::string start_job_and_fill(Server& server, const std::string& prompt = kFillingPrompt,
                                   bool afterFirstLine = false) {
        std::string id =
            server.ok("claude_start", {{"prompt", prompt}, {"workFolder", work_.path()}})["jobId"];
        runner_info(state_, id);
        if (afterFirstLine) {
            EXPECT_TRUE(wait_until([&] {
                std::error_code ec;
                return std::filesystem::file_size(
                           job_file(id, claude_jobs::job_folder::kEventsFile), ec) > 0 &&
                       !ec;
            })) << "the job wrote nothing";
        }
        EXPECT_TRUE(disk_.fill()) << "the disk did not fill";
        return id;
    }

    SmallDisk disk_{24};
    TempDir home_{"cj-disk-home"};  // the server's config and log
    TempDir work_{"cj-disk-work"};
    std::string state_;
};

TEST_F(DiskFullTest, AJobKilledByAFullDiskEndsFailedSayingSo) {
    auto server = start_server();
    std::string id = start_job_and_fill(*server);
    // The supervisor's record is written in the room it kept, full disk or not.
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(job_file(id, "exit.json")); }))
        << "no exit record";
    EXPECT_NE(read_text(job_file(id, "exit.json")).find("\"noSpaceLeft\":true"), std::string::npos);
    // While the disk is full the end may not be recordable (the job index is on it too):
    // then the job still reads as running, but never as anything else without the disk.
    json during = server->ok("claude_check", {{"jobId", id}});
    if (during["status"] != "running") {
        EXPECT_EQ(during["status"], "failed");
        EXPECT_TRUE(says_no_space(during)) << during["reason"];
    }
    disk_.free_up();
    json view = server->wait_done(id);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_TRUE(says_no_space(view)) << view["reason"];
}

TEST_F(DiskFullTest, AServerKilledWhileTheDiskIsFullLosesNothing) {
    std::string id;
    {
        auto server = start_server();
        id = start_job_and_fill(*server);
        ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(job_file(id, "exit.json")); }));
        server->kill_hard();
    }
    {
        // Restarted while the disk is still full: it may not manage to start or to open the
        // index, but whatever it records is right.
        ::signal(SIGPIPE, SIG_IGN);  // it may be gone when spoken to
        Server again(home_.path(), config());
        try {
            again.initialize();
            json during = again.ok("claude_check", {{"jobId", id}});
            if (during["status"] != "running") {
                EXPECT_EQ(during["status"], "failed");
                EXPECT_TRUE(says_no_space(during)) << during["reason"];
            }
        } catch (const std::exception& e) {
            std::printf("the server restarted on the full disk could not serve: %s\n", e.what());
        }
        again.kill_hard();
    }
    disk_.free_up();
    auto server = start_server();
    json view = server->wait_done(id);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_TRUE(says_no_space(view)) << view["reason"];
}

// The supervisor itself killed while the disk is full: no exit record at all, so the server's
// own look at the state dir says why.
TEST_F(DiskFullTest, ASupervisorGoneWhileTheDiskIsFullIsOrphanedSayingSo) {
    auto server = start_server();
    // The stand-in's first line is in its log before the disk fills: otherwise, on a slow
    // machine, that write can fail and end the job (failed, no space) before the kill.
    std::string id = start_job_and_fill(*server, "sleep 60", /*afterFirstLine=*/true);
    json info = runner_info(state_, id);
    pid_t runner = info["runnerPid"].get<pid_t>();
    ::kill(runner, SIGKILL);
    // Gone for sure before the server looks, so it sees the end while the disk is full.
    ASSERT_TRUE(wait_until([&] { return !process_alive(runner); }));
    json during = server->ok("claude_check", {{"jobId", id}});
    if (during["status"] != "running") {
        EXPECT_TRUE(says_no_space(during)) << during["reason"];
    }
    disk_.free_up();
    json view = server->wait_done(id);
    EXPECT_EQ(view["status"], "orphaned");
    EXPECT_TRUE(says_no_space(view)) << view["reason"];
    EXPECT_TRUE(wait_until([&] { return !process_alive(info["childPid"].get<pid_t>()); }));
}

}  // namespace
}  // namespace cj::testing

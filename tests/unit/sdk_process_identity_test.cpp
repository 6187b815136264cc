// Process identity (claude_jobs/process_identity.h): /proc/<pid>/stat read right even for odd
// command names, a pid is only "the same process" with its start time, no signal ever reaches
// a reused pid, init or a group, and a runner on this machine is asked about and stopped
// through its identity and the job folder.
#include "claude_jobs/process_identity.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "claude_jobs/job_folder.h"
#include "support/temp_dir.h"

namespace claude_jobs {
namespace {

using namespace std::chrono_literals;

// A child that sleeps until killed, leading its own process group; reaped by the test.
class Sleeper {
  public:
    Sleeper() {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
        // Its start time is settled once it runs; the exec is not needed for that.
        start_ = read_proc_stat(pid_)->startTime;
    }
    ~Sleeper() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    std::uint64_t start() const { return start_; }
    // How it ended (waits at most `limit`); -1 while it still runs.
    int signal_that_ended_it(std::chrono::milliseconds limit = 5s) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            }
            if (std::chrono::steady_clock::now() >= deadline) return -1;
            std::this_thread::sleep_for(10ms);
        }
    }

  private:
    pid_t pid_ = -1;
    std::uint64_t start_ = 0;
    bool reaped_ = false;
};

TEST(SdkProcessIdentity, ParsesStatWithAnOddCommandName) {
    std::string stat =
        "4242 (a b) c)) S 1 777 777 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
        "123456 0 0\n";
    ProcStat out;
    ASSERT_TRUE(parse_proc_stat(stat.data(), stat.size(), out));
    EXPECT_EQ(out.state, 'S');
    EXPECT_EQ(out.pgrp, 777);
    EXPECT_EQ(out.startTime, 123456u);
    for (std::string bad : {"", "no parenthesis at all", "1 (x) S 1 2", "1 (x) S 1 2x 3 4",
                            "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x9"}) {
        EXPECT_FALSE(parse_proc_stat(bad.data(), bad.size(), out)) << bad;
    }
}

TEST(SdkProcessIdentity, KnowsThisProcess) {
    auto self = read_proc_stat(::getpid());
    ASSERT_TRUE(self);
    EXPECT_EQ(self->pgrp, ::getpgrp());
    EXPECT_TRUE(is_same_process(::getpid(), self->startTime));
    EXPECT_FALSE(is_same_process(::getpid(), self->startTime + 1));
    EXPECT_FALSE(read_proc_stat(0));
    EXPECT_FALSE(read_proc_stat(-1));
    EXPECT_FALSE(current_boot_id().empty());
    EXPECT_EQ(current_boot_id().find('\n'), std::string::npos);
}

TEST(SdkProcessIdentity, SignalsOnlyTheSameProcess) {
    Sleeper sleeper;
    EXPECT_FALSE(signal_if_same(sleeper.pid(), sleeper.start() + 1, SIGKILL));
    EXPECT_EQ(sleeper.signal_that_ended_it(200ms), -1) << "another start time is another process";
    EXPECT_FALSE(signal_if_same(1, 0, 0)) << "never init";
    EXPECT_FALSE(signal_if_same(0, 0, 0)) << "never a group";
    EXPECT_FALSE(signal_if_same(-1, 0, 0)) << "never everyone";
    EXPECT_TRUE(signal_if_same(sleeper.pid(), sleeper.start(), SIGTERM));
    EXPECT_EQ(sleeper.signal_that_ended_it(), SIGTERM);
}

TEST(SdkProcessIdentity, SaysWhyTheRunnerCannotRun) {
    cj::testing::TempDir dir("cj-runner-check");
    std::string runner = dir.write("claude-jobs-runner", "#!/bin/sh\n");
    ::chmod(runner.c_str(), 0755);
    EXPECT_TRUE(check_runner(runner));
    auto relative = check_runner("claude-jobs-runner");
    ASSERT_FALSE(relative);
    EXPECT_EQ(relative.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(relative.error().message,
              "no absolute path to claude-jobs-runner was given (\"claude-jobs-runner\"); "
              "reinstall claude-jobs so that claude-jobs-runner sits beside the claude-jobs "
              "binary");
    auto missing = check_runner(dir.file("missing"), "reinstall it");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "cannot run claude-jobs-runner at " + dir.file("missing") +
                                           ": No such file or directory; reinstall it");
    EXPECT_EQ(missing.error().sysErrno, ENOENT);
    EXPECT_NE(check_runner(dir.path()).error().message.find("not a regular file"),
              std::string::npos);
    ::chmod(runner.c_str(), 0644);
    if (::access(runner.c_str(), X_OK) != 0) {  // root may execute anything
        EXPECT_NE(check_runner(runner).error().message.find("chmod +x " + runner),
                  std::string::npos);
    }
}

TEST(SdkProcessIdentity, ProcfsIsNeeded) {
    EXPECT_TRUE(check_procfs("x", current_boot_id()));
    auto unknown = check_procfs("local-detached", "");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message,
              "local-detached follows its jobs through /proc, which is not readable here; mount "
              "procfs");
}

TEST(SdkProcessIdentity, ARebootIsAnotherBootId) {
    EXPECT_TRUE(started_before_reboot({2, 0, "a"}, "b"));
    EXPECT_FALSE(started_before_reboot({2, 0, "a"}, "a"));
    EXPECT_FALSE(started_before_reboot({2, 0, ""}, "b")) << "unknown is not another";
    EXPECT_FALSE(started_before_reboot({2, 0, "a"}, ""));
}

TEST(SdkProcessIdentity, RunnerStatusFollowsTheIdentity) {
    Sleeper runner;
    std::string boot = current_boot_id();
    EXPECT_EQ(runner_status({runner.pid(), runner.start(), boot}, boot).state, RunState::Running);
    JobStatus other = runner_status({runner.pid(), runner.start() + 1, boot}, boot);
    EXPECT_EQ(other.state, RunState::Lost);
    EXPECT_EQ(other.reason, "supervisor (pid " + std::to_string(runner.pid()) +
                                ") vanished without recording an exit");
    JobStatus rebooted = runner_status({runner.pid(), runner.start(), "another-boot"}, boot);
    EXPECT_EQ(rebooted.state, RunState::Lost);
    EXPECT_EQ(rebooted.reason, "supervisor (pid " + std::to_string(runner.pid()) +
                                   ") vanished without recording an exit: the machine was "
                                   "rebooted");
}

TEST(SdkProcessIdentity, StopRunnerLeavesTheRequestAndSignals) {
    cj::testing::TempDir dir("cj-stop");
    Sleeper runner;
    std::string boot = current_boot_id();
    stop_runner({runner.pid(), runner.start(), boot}, dir.path(), 4, boot);
    EXPECT_EQ(runner.signal_that_ended_it(), SIGTERM);
    std::ifstream in(dir.file(job_folder::kCancelFile));
    EXPECT_EQ(nlohmann::json::parse(in), nlohmann::json({{"graceSec", 4}}));
}

TEST(SdkProcessIdentity, StopRunnerTouchesNothingFromAnotherBoot) {
    cj::testing::TempDir dir("cj-stop");
    Sleeper runner;
    stop_runner({runner.pid(), runner.start(), "another-boot"}, dir.path(), 0, current_boot_id());
    EXPECT_EQ(runner.signal_that_ended_it(300ms), -1);
    EXPECT_FALSE(job_folder::cancel_requested(dir.path()));
}

// The runner died (its identity matches nothing) and left its job: the job's group is killed,
// as runner.json records it; a process that only reuses the recorded pid is spared.
TEST(SdkProcessIdentity, AnAbandonedJobIsKilledOnlyIfItIsStillTheRecordedOne) {
    cj::testing::TempDir dir("cj-abandoned");
    Sleeper job;
    job_folder::RunnerRecord record;
    record.childPid = record.childPgid = job.pid();
    record.childStartTime = job.start() + 1;  // a reused pid
    dir.write(job_folder::kRunnerFile, job_folder::encode_runner_record(record));
    stop_runner({job.pid(), job.start() + 1, ""}, dir.path(), 0, current_boot_id());
    EXPECT_EQ(job.signal_that_ended_it(300ms), -1);
    record.childStartTime = job.start();
    dir.write(job_folder::kRunnerFile, job_folder::encode_runner_record(record));
    stop_runner({job.pid(), job.start() + 1, ""}, dir.path(), 0, current_boot_id());
    EXPECT_EQ(job.signal_that_ended_it(), SIGKILL);
}

}  // namespace
}  // namespace claude_jobs

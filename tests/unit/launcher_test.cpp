// Tests of launching: admit() writes the job folder and prompt, records the row, and
// launches a job that got a slot (or queues it, with its place); a failed launch is the
// job's end; promote_queued() launches the oldest queued job when a slot frees; a cancel or
// an end recorded while launching is acted on.
#include "core/jobs/launcher.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/util/file_lock.h"
#include "support/job_world.h"
#include "support/temp_dir.h"
#include "support/text_files.h"

namespace {

using cj::jobs::AcceptedStart;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::jobs::Launcher;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using claude_jobs::ErrorCode;
namespace fs = std::filesystem;
using cj::testing::read_text;

int mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
}

class LauncherTest : public ::testing::Test {
  protected:
    AcceptedStart accepted(const std::string& id, const std::string& backend = "fake") {
        return w_.accepted(id, backend);
    }
    cj::jobs::StartOutcome admit(const std::string& id) {
        auto out = launcher_.admit(accepted(id));
        EXPECT_TRUE(out.ok()) << out.error().message;
        return out.ok() ? *out : cj::jobs::StartOutcome{};
    }
    std::vector<std::string> started() {
        std::vector<std::string> ids;
        for (const auto& c : w_.fake().calls("start")) ids.push_back(c.jobId);
        return ids;
    }

    // A job whose accepting process recorded it with a launch slot and died before launching.
    JobRecord abandoned(const std::string& id) {
        auto a = accepted(id);
        fs::create_directories(w_.dirs.dir(id));
        cj::testing::write_text(w_.dirs.file(id, "prompt.txt"), a.prompt);
        auto inserted =
            w_.index->insert(std::move(a.draft), 4, cj::jobs::LaunchInputs{a.prompt, a.plan.to_json()});
        EXPECT_TRUE(inserted.ok());
        EXPECT_EQ(inserted->job.state, JobState::Running);
        return inserted->job;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"tmux", {.attach = true}}}};
    Launcher launcher_{w_.config, *w_.index, *w_.backends, w_.reconciler, w_.dirs};
};

TEST_F(LauncherTest, AdmitWritesThePrivateFolderAndPromptThenLaunches) {
    auto out = admit("j1");
    EXPECT_FALSE(out.existing);
    EXPECT_FALSE(out.queuePosition.has_value());
    EXPECT_EQ(out.job.state, JobState::Running);
    EXPECT_EQ(mode_of(w_.dirs.dir("j1")), 0700);
    EXPECT_EQ(mode_of(w_.dirs.file("j1", "prompt.txt")), 0600);
    EXPECT_EQ(read_text(w_.dirs.file("j1", "prompt.txt")), "the prompt of j1");

    auto spec = w_.fake().last_spec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->jobId, "j1");
    EXPECT_EQ(spec->jobDir, w_.dirs.dir("j1"));
    EXPECT_EQ(spec->workFolder, fs::canonical(w_.state.path()).string());
    EXPECT_EQ(spec->claudePath, "/opt/claude");
    EXPECT_EQ(spec->claudeArgs, (std::vector<std::string>{"-p", "--model", "m"}));
    EXPECT_EQ(spec->env, (std::vector<std::string>{"PATH=/usr/bin", "CLAUDE_JOBS_JOB_ID=j1"}));
    EXPECT_EQ(spec->timeoutSec, 77);
    EXPECT_EQ(spec->label, "label of j1");

    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Running);
    auto handle = cj::jobs::handle_from_json(row.handle);
    ASSERT_TRUE(handle.has_value()) << row.handle;
    EXPECT_EQ(handle->jobId, "j1");
    EXPECT_GT(row.startedAt, 0);
    EXPECT_EQ(out.job.handle, row.handle);
    auto inputs = w_.index->launch_inputs("j1");
    ASSERT_TRUE(inputs.ok());
    EXPECT_FALSE(inputs->has_value()) << "the plan (with the environment) is dropped once launched";
    EXPECT_TRUE(out.attach.empty()) << "the backend has no attach capability";
    EXPECT_EQ(w_.fake().count("attachCommand"), 0);
}

TEST_F(LauncherTest, AJobBeyondTheLimitIsQueuedWithItsPosition) {
    w_.config.maxConcurrentJobs = 1;
    admit("a");
    auto b = admit("b");
    auto c = admit("c");
    EXPECT_EQ(b.job.state, JobState::Queued);
    EXPECT_EQ(b.queuePosition, 1);
    EXPECT_EQ(c.job.state, JobState::Queued);
    EXPECT_EQ(c.queuePosition, 2);
    EXPECT_EQ(started(), std::vector<std::string>{"a"});
    EXPECT_EQ(read_text(w_.dirs.file("c", "prompt.txt")), "the prompt of c") << "written at once";
    EXPECT_TRUE(w_.row("c").handle.empty());
}

TEST_F(LauncherTest, AFailedStartIsTheJobsEnd) {
    w_.fake().set_start_error(claude_jobs::make_error(ErrorCode::Unavailable, "runtime is down"));
    auto out = launcher_.admit(accepted("j1"));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(out.error().message,
              "job j1 could not be launched: could not launch: runtime is down");
    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: runtime is down");
    EXPECT_TRUE(row.handle.empty());
    EXPECT_GT(row.endedAt, 0);
}

TEST_F(LauncherTest, PromoteLaunchesTheOldestQueuedJobWhenASlotFrees) {
    w_.config.maxConcurrentJobs = 1;
    admit("a");
    admit("b");
    admit("c");
    launcher_.promote_queued();
    EXPECT_EQ(started(), std::vector<std::string>{"a"}) << "no slot is free yet";

    w_.reconciler.record_end(w_.row("a"), JobState::Completed, 0, "done");
    launcher_.promote_queued();
    EXPECT_EQ(started(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(w_.row("b").state, JobState::Running);
    EXPECT_FALSE(w_.row("b").handle.empty());
    EXPECT_EQ(w_.row("c").state, JobState::Queued);
}

TEST_F(LauncherTest, PromoteLeavesTheQueueToAServerWithItsHeadsBackend) {
    w_.config.maxConcurrentJobs = 1;
    w_.add_queued("foreign", "elsewhere");
    auto b = admit("b");
    ASSERT_EQ(b.job.state, JobState::Queued) << "behind the foreign job";
    launcher_.promote_queued();
    EXPECT_EQ(w_.row("foreign").state, JobState::Queued);
    EXPECT_EQ(w_.row("b").state, JobState::Queued) << "strict FIFO";
    EXPECT_TRUE(started().empty());
}

TEST_F(LauncherTest, APromotedJobGetsAWholePromptAgain) {
    w_.config.maxConcurrentJobs = 1;
    admit("a");
    admit("b");
    fs::resize_file(w_.dirs.file("b", "prompt.txt"), 3);  // as if a power cut lost its end
    w_.reconciler.record_end(w_.row("a"), JobState::Completed, 0, "done");
    launcher_.promote_queued();
    EXPECT_EQ(read_text(w_.dirs.file("b", "prompt.txt")), "the prompt of b");
    EXPECT_EQ(w_.row("b").state, JobState::Running);
}

TEST_F(LauncherTest, ACancelRequestedDuringTheLaunchIsSent) {
    w_.fake().on_start([&](const claude_jobs::JobSpec& spec) {
        ASSERT_TRUE(w_.index->set_cancel_requested(spec.jobId, 7).ok());
    });
    admit("j1");
    auto stops = w_.fake().calls("stop");
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0].jobId, "j1");
    EXPECT_EQ(stops[0].graceSec, 7);
}

TEST_F(LauncherTest, AJobEndedDuringTheLaunchIsStoppedAndFreed) {
    w_.fake().on_start([&](const claude_jobs::JobSpec& spec) {
        ASSERT_TRUE(w_.index
                        ->finish(spec.jobId, JobState::Cancelled, std::nullopt, "cancelled", "", "",
                                 cj::util::now_ms())
                        .ok());
    });
    auto out = admit("j1");
    EXPECT_EQ(out.job.state, JobState::Cancelled);
    auto stops = w_.fake().calls("stop");
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(stops[0].graceSec, 0);
    EXPECT_EQ(w_.fake().count("destroy", "j1"), 1);
    EXPECT_FALSE(w_.held_after_end("j1"));
}

TEST_F(LauncherTest, AnIdInUseIsRefused) {
    admit("j1");
    auto again = launcher_.admit(accepted("j1"));
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
    EXPECT_EQ(read_text(w_.dirs.file("j1", "prompt.txt")), "the prompt of j1") << "left alone";
    EXPECT_EQ(started(), std::vector<std::string>{"j1"});
}

// Two starts with one key at once: the one that lost the race answers with the other's job.
TEST_F(LauncherTest, AnIdempotencyKeyTakenMeanwhileAnswersWithThatJob) {
    JobRecord first = w_.draft("first");
    first.idempotencyKey = "k";
    ASSERT_TRUE(w_.index->insert(first, 10).ok());
    AcceptedStart late = accepted("second");
    late.draft.idempotencyKey = "k";
    auto out = launcher_.admit(late);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_TRUE(out->existing);
    EXPECT_EQ(out->job.id, "first");
    EXPECT_FALSE(fs::exists(w_.dirs.dir("second"))) << "its folder is removed";
    EXPECT_TRUE(started().empty());
}

TEST_F(LauncherTest, LaunchWithoutAPlanFails) {
    JobRecord job = w_.add("j1", 10);  // a slot, but no launch inputs in the index
    launcher_.launch(job);
    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: its launch plan is missing from the job index");
    EXPECT_TRUE(started().empty());
}

TEST_F(LauncherTest, LaunchOnABackendNotHereFails) {
    JobRecord job = w_.add("j1", 10, "elsewhere");
    launcher_.launch(job);
    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: backend \"elsewhere\" is not available here");
}

// allowedWorkFolders are checked again at launch, on the resolved path: a queued job whose
// folder was swapped for a symlink (which a job running in that folder can do) is not started
// in the symlink's target, wherever it points.
class LauncherFolderTest : public LauncherTest {
  protected:
    void SetUp() override {
        allowed_ = fs::canonical(allowedDir_.path()).string();
        fs::create_directories(allowed_ + "/project");
        fs::create_directories(allowed_ + "/other");
        w_.config.allowedWorkFolders = {allowed_};
        w_.config.maxConcurrentJobs = 1;
    }
    // A job for allowed/project, queued behind a running one.
    void queue_project_job() {
        auto busy = accepted("busy");
        busy.draft.workFolder = allowed_ + "/other";
        ASSERT_TRUE(launcher_.admit(busy).ok());
        auto a = accepted("queued");
        a.draft.workFolder = allowed_ + "/project";
        auto out = launcher_.admit(a);
        ASSERT_TRUE(out.ok()) << out.error().message;
        ASSERT_EQ(out->job.state, JobState::Queued);
    }
    void swap_project_for_link_to(const std::string& target) {
        fs::rename(allowed_ + "/project", allowed_ + "/project.old");
        fs::create_directory_symlink(target, allowed_ + "/project");
    }
    void free_the_slot() {
        w_.reconciler.record_end(w_.row("busy"), JobState::Completed, 0, "done");
        launcher_.promote_queued();
    }

    cj::testing::TempDir allowedDir_{"cj-allowed"};
    cj::testing::TempDir outsideDir_{"cj-outside"};
    std::string allowed_;
};

TEST_F(LauncherFolderTest, AFolderSwappedForALinkOutsideTheAllowedFoldersIsNotLaunched) {
    queue_project_job();
    std::string outside = fs::canonical(outsideDir_.path()).string();
    swap_project_for_link_to(outside);
    free_the_slot();
    JobRecord row = w_.row("queued");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: workFolder " + outside +
                              " is outside allowedWorkFolders (" + allowed_ + ")");
    EXPECT_EQ(started(), std::vector<std::string>{"busy"}) << "the backend never saw it";
}

TEST_F(LauncherFolderTest, AFolderSwappedForALinkToAnotherAllowedFolderIsNotLaunchedEither) {
    queue_project_job();
    swap_project_for_link_to(allowed_ + "/other");
    free_the_slot();
    JobRecord row = w_.row("queued");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: work folder " + allowed_ + "/project now leads to " +
                              allowed_ +
                              "/other (it, or a folder on its path, was replaced by a symlink "
                              "since the job was accepted)");
    EXPECT_EQ(started(), std::vector<std::string>{"busy"});
}

TEST_F(LauncherFolderTest, AFolderThatIsGoneIsNotLaunched) {
    queue_project_job();
    fs::remove(allowed_ + "/project");
    free_the_slot();
    JobRecord row = w_.row("queued");
    EXPECT_EQ(row.state, JobState::Failed);
    EXPECT_EQ(row.reason, "could not launch: workFolder \"" + allowed_ +
                              "/project\" is not an existing folder");
}

TEST_F(LauncherFolderTest, AnUnchangedFolderIsLaunched) {
    queue_project_job();
    free_the_slot();
    EXPECT_EQ(w_.row("queued").state, JobState::Running);
    EXPECT_EQ(started(), (std::vector<std::string>{"busy", "queued"}));
    EXPECT_EQ(w_.fake().last_spec()->workFolder, allowed_ + "/project");
}

TEST_F(LauncherTest, AnAttachableBackendGivesItsCommand) {
    auto out = launcher_.admit(accepted("j1", "tmux"));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->attach, cj::testing::FakeBackend::attach_command_for("j1"));
    EXPECT_EQ(w_.fake("tmux").count("start", "j1"), 1);
}

}  // namespace

namespace {

using cj::jobs::Isolation;
using cj::jobs::IsolationMode;

TEST_F(LauncherTest, AJobWithIsolationRunsInItsCopyAndIsRefusedWithoutItsRecord) {
    Isolation isolation(w_.state.path(), w_.dirs);
    Launcher isolated{w_.config, *w_.index, *w_.backends, w_.reconciler, w_.dirs, &isolation};
    auto copy = accepted("copied");
    copy.draft.workFolder = fs::canonical(w_.state.path()).string() + "/work";
    fs::create_directories(copy.draft.workFolder);
    copy.isolation = IsolationMode::Copy;
    copy.draft.spec = R"({"isolation":"copy"})";
    auto out = isolated.admit(copy);
    ASSERT_TRUE(out.ok()) << out.error().message;
    auto spec = w_.fake().last_spec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->workFolder, fs::canonical(w_.state.path()).string() + "/worktrees/copied");

    auto tree = accepted("tree");
    tree.draft.workFolder = copy.draft.workFolder;
    tree.isolation = IsolationMode::Worktree;
    auto refused = isolated.admit(tree);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(fs::exists(w_.dirs.dir("tree"))) << "nothing is left of a refused start";

    auto lost = accepted("lost");  // accepted with a worktree whose record is gone
    lost.draft.spec = R"({"isolation":"worktree"})";
    auto failed = launcher_.admit(lost);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("isolation.json) is missing"), std::string::npos)
        << failed.error().message;
}

}  // namespace

namespace {

using namespace std::chrono_literals;

TEST_F(LauncherTest, AnAbandonedLaunchIsLaunchedFromItsRecordedPlan) {
    JobRecord job = abandoned("j1");
    EXPECT_FALSE(launcher_.adopt_abandoned(job)) << "not within the grace a live launcher gets";
    EXPECT_TRUE(started().empty());
    ASSERT_TRUE(launcher_.adopt_abandoned(job, 0ms));
    EXPECT_EQ(started(), std::vector<std::string>{"j1"});
    auto spec = w_.fake().last_spec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->claudeArgs, (std::vector<std::string>{"-p", "--model", "m"})) << "its own plan";
    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Running);
    EXPECT_FALSE(row.handle.empty());
    EXPECT_FALSE(launcher_.adopt_abandoned(row, 0ms)) << "launched once";
    EXPECT_EQ(started().size(), 1u);
}

TEST_F(LauncherTest, ALaunchInProgressElsewhereIsNotAdopted) {
    JobRecord job = abandoned("j1");
    {
        cj::util::FileLock launcherAtWork(w_.dirs.file("j1", "launch.lock"));
        ASSERT_TRUE(launcherAtWork.held());
        EXPECT_FALSE(launcher_.adopt_abandoned(job, 0ms));
    }
    EXPECT_TRUE(started().empty());
    // A supervisor that started (its record written) was launched, however the row looks.
    cj::testing::write_text(w_.dirs.file("j1", "runner.json"), "{}");
    EXPECT_FALSE(launcher_.adopt_abandoned(job, 0ms));
    EXPECT_TRUE(started().empty());
    EXPECT_TRUE(launcher_.launch(job)) << "a late launcher finds it launched elsewhere";
    EXPECT_TRUE(started().empty());
}

TEST_F(LauncherTest, AnAbandonedJobWhoseCancelWasAskedForEndsCancelled) {
    JobRecord job = abandoned("j1");
    ASSERT_TRUE(w_.index->set_cancel_requested("j1", 10).ok());
    EXPECT_FALSE(launcher_.adopt_abandoned(job, 0ms));
    EXPECT_TRUE(started().empty());
    JobRecord row = w_.row("j1");
    EXPECT_EQ(row.state, JobState::Cancelled);
    EXPECT_EQ(row.reason, "cancelled before it was launched");
}

}  // namespace

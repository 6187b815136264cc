// Jobs as tasks (core/tools/job_tasks.h) over a real JobService, index and fake backend: what
// is this connection's, the status mapping, ttl and polling advice, the ended job's result,
// paging, cancel, and status changes told only for this connection's jobs.
#include "core/tools/job_tasks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/jobs/job_service.h"
#include "support/job_world.h"

namespace {

using cj::jobs::JobOwner;
using cj::jobs::JobRecord;
using cj::jobs::JobState;
using cj::tools::TaskInfo;
using claude_jobs::ErrorCode;
using nlohmann::json;

class JobTasksTest : public ::testing::Test {
  protected:
    cj::testing::JobWorld world;
    JobOwner self{"instance-self", "test 1", "", ""};
    cj::jobs::JobService service{world.config, *world.index, *world.backends, 0, {}, self};
    cj::tools::Tasks tasks = cj::tools::make_job_tasks(service);

    // A row of `owner` (this connection by default), running or queued as the index decides.
    JobRecord add(const std::string& id, const JobOwner* owner = nullptr, int maxRunning = 1000) {
        std::filesystem::create_directories(world.dirs.dir(id));
        JobRecord r = world.draft(id);
        r.owner = owner ? *owner : self;
        auto inserted = world.index->insert(r, maxRunning);
        if (!inserted) throw std::runtime_error(inserted.error().message);
        return inserted->job;
    }
    JobRecord add_ended(const std::string& id, JobState state, const std::string& reason,
                        const JobOwner* owner = nullptr) {
        add(id, owner);
        claude_jobs::JobHandle handle{id, "fake", 1, "{}"};
        world.index->set_launched(id, cj::jobs::handle_to_json(handle), cj::util::now_ms());
        auto done = world.index->finish(id, state, 0, reason, "", "", cj::util::now_ms());
        if (!done || !*done) throw std::runtime_error("finish failed");
        return world.row(id);
    }
};

TEST_F(JobTasksTest, AnEndedJobIsATerminalTaskWithItsReasonAndTheRetentionAsTtl) {
    add_ended("ok1", JobState::Completed, "exit code 0");
    add_ended("late", JobState::TimedOut, "ran past 60 s");
    auto ok = tasks.get("ok1");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->status, "completed");
    EXPECT_TRUE(ok->terminal());
    EXPECT_EQ(ok->ttlMs, std::int64_t{7} * 86400 * 1000);
    EXPECT_EQ(ok->pollIntervalMs, 0) << "no polling advice once ended";
    EXPECT_GE(ok->lastUpdatedAt, ok->createdAt);
    auto late = tasks.get("late");
    ASSERT_TRUE(late);
    EXPECT_EQ(late->status, "failed");
    EXPECT_EQ(late->statusMessage, "timed_out: ran past 60 s");
}

TEST_F(JobTasksTest, QueuedAndRunningJobsWork) {
    add("run1");
    add("wait1", nullptr, 0);
    auto running = tasks.get("run1");
    ASSERT_TRUE(running) << running.error().message;
    EXPECT_EQ(running->status, "working");
    EXPECT_EQ(running->pollIntervalMs, 1000);
    auto queued = tasks.get("wait1");
    ASSERT_TRUE(queued);
    EXPECT_EQ(queued->status, "working");
    EXPECT_EQ(queued->statusMessage.rfind("queued", 0), 0u) << queued->statusMessage;
}

TEST_F(JobTasksTest, UnknownIdsAndPathsAreNotFound) {
    for (const char* id : {"nosuch", "../../etc/passwd", "/etc/passwd", "", "a b"}) {
        auto got = tasks.get(id);
        ASSERT_FALSE(got) << id;
        EXPECT_EQ(got.error().code, ErrorCode::NotFound) << id;
        EXPECT_NE(got.error().message.find("no task"), std::string::npos);
    }
}

TEST_F(JobTasksTest, AnotherConnectionsJobIsRefusedAndNotListed) {
    JobOwner other{"instance-other", "x", "", ""};
    add_ended("theirs", JobState::Completed, "", &other);
    add("theirs2", &other);
    cj::util::CancelToken token;
    for (auto failure :
         {tasks.get("theirs").error(), tasks.result("theirs").error(),
          tasks.cancel("theirs2").error(),
          tasks.wait("theirs2", std::chrono::milliseconds(10), token, nullptr).error()}) {
        EXPECT_EQ(failure.code, ErrorCode::PermissionDenied);
        EXPECT_NE(failure.message.find("another connection"), std::string::npos) << failure.message;
    }
    auto page = tasks.list("");
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->tasks.empty());
}

TEST_F(JobTasksTest, TheResultIsClaudeStartsReplyWithTheFinalView) {
    add_ended("ok2", JobState::Completed, "exit code 0");
    auto r = tasks.result("ok2");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->isError);
    EXPECT_EQ(r->structured["jobId"], "ok2");
    EXPECT_EQ(r->structured["status"], "completed");
    EXPECT_EQ(r->structured["backend"], "fake");
    EXPECT_TRUE(r->structured.contains("createdAt"));
    EXPECT_EQ(r->structured["job"]["jobId"], "ok2");
    ASSERT_EQ(r->links.size(), 1u);
    EXPECT_EQ(r->links[0]["uri"], "claude-jobs://job/ok2");

    add("run2");
    auto early = tasks.result("run2");
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, ErrorCode::InvalidArgument);
}

TEST_F(JobTasksTest, WaitKeepsItsBoundAndAnswersTheTaskAsItIs) {
    add("run3");
    cj::util::CancelToken token;
    int ticks = 0;
    auto began = std::chrono::steady_clock::now();
    auto waited =
        tasks.wait("run3", std::chrono::milliseconds(1300), token, [&ticks](const TaskInfo& t) {
            EXPECT_EQ(t.status, "working");
            ++ticks;
        });
    auto took = std::chrono::steady_clock::now() - began;
    ASSERT_TRUE(waited) << waited.error().message;
    EXPECT_EQ(waited->status, "working");
    EXPECT_GE(took, std::chrono::milliseconds(1200));
    EXPECT_LT(took, std::chrono::milliseconds(5000));
    EXPECT_GE(ticks, 1) << "progress about once a second";

    add_ended("ok3", JobState::Failed, "exit code 1");
    auto ended = tasks.wait("ok3", std::chrono::milliseconds(5000), token, nullptr);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->status, "failed");
}

TEST_F(JobTasksTest, ListPagesNewestFirst) {
    for (int i = 0; i < 53; ++i) add("j" + std::to_string(i));
    auto first = tasks.list("");
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_EQ(first->tasks.size(), 50u);
    EXPECT_EQ(first->tasks.front().taskId, "j52");
    ASSERT_FALSE(first->nextCursor.empty());
    auto second = tasks.list(first->nextCursor);
    ASSERT_TRUE(second);
    ASSERT_EQ(second->tasks.size(), 3u);
    EXPECT_EQ(second->tasks.back().taskId, "j0");
    EXPECT_TRUE(second->nextCursor.empty());
    auto bad = tasks.list("abc");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
}

TEST_F(JobTasksTest, CancellingAQueuedJobEndsItCancelled) {
    add("q1", nullptr, 0);
    auto cancelled = tasks.cancel("q1");
    ASSERT_TRUE(cancelled) << cancelled.error().message;
    EXPECT_EQ(cancelled->status, "cancelled");
    EXPECT_EQ(world.row("q1").state, JobState::Cancelled);
}

TEST_F(JobTasksTest, ACreatedTaskIsAJobOfThisConnection) {
    cj::tools::RequestContext ctx;
    auto created =
        tasks.create("claude_start", json{{"prompt", "hello"}, {"workFolder", world.state.path()}},
                     std::nullopt, ctx);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->status, "working");
    EXPECT_EQ(world.row(created->taskId).owner.instance, self.instance);
    EXPECT_TRUE(tasks.get(created->taskId));

    auto wrongTool = tasks.create("claude_check", json::object(), std::nullopt, ctx);
    ASSERT_FALSE(wrongTool);
    EXPECT_EQ(wrongTool.error().code, ErrorCode::InvalidArgument);
    auto waits =
        tasks.create("claude_start", json{{"prompt", "p"}, {"waitSec", 5}}, std::nullopt, ctx);
    ASSERT_FALSE(waits);
    EXPECT_NE(waits.error().message.find("waitSec"), std::string::npos);
    auto noPrompt = tasks.create("claude_start", json::object(), std::nullopt, ctx);
    ASSERT_FALSE(noPrompt);
    EXPECT_EQ(noPrompt.error().code, ErrorCode::InvalidArgument);
}

TEST_F(JobTasksTest, ACreatedTaskTakesEveryWakeUpOfItsEnd) {
    // The client follows its task and tells its model of the end (Claude Code starts a turn
    // for it in an idle session): neither the channel nor the Stop hook and monitor may tell
    // it again. A plain job keeps both.
    cj::tools::RequestContext ctx;
    auto created =
        tasks.create("claude_start", json{{"prompt", "hello"}, {"workFolder", world.state.path()}},
                     std::nullopt, ctx);
    ASSERT_TRUE(created) << created.error().message;
    auto& marks = service.wake_marks();
    for (auto path : {cj::jobs::WakePath::Channel, cj::jobs::WakePath::Hook}) {
        auto claimed = marks.claim(created->taskId, path);
        ASSERT_TRUE(claimed);
        EXPECT_FALSE(*claimed) << cj::jobs::wake_path_name(path) << " was left to tell the end";
    }
    add("plain");
    for (auto path : {cj::jobs::WakePath::Channel, cj::jobs::WakePath::Hook}) {
        auto plain = marks.claim("plain", path);
        ASSERT_TRUE(plain);
        EXPECT_TRUE(*plain) << cj::jobs::wake_path_name(path);
    }
}

TEST_F(JobTasksTest, AStartThatWaitsIsAnsweredInPlaceWhereTheServerChooses) {
    ASSERT_TRUE(tasks.runsAsTask);
    EXPECT_TRUE(tasks.runsAsTask("claude_start", json{{"prompt", "p"}}));
    EXPECT_TRUE(tasks.runsAsTask("claude_start", json{{"prompt", "p"}, {"waitSec", 0}}));
    EXPECT_FALSE(tasks.runsAsTask("claude_start", json{{"prompt", "p"}, {"waitSec", 5}}));
    EXPECT_FALSE(tasks.runsAsTask("claude_start", json{{"prompt", "p"}, {"waitSec", 0.5}}));
}

TEST_F(JobTasksTest, WatchTellsOnlyThisConnectionsStatusChanges) {
    std::mutex m;
    std::condition_variable cv;
    std::vector<TaskInfo> told;
    auto stop = tasks.watch([&](const TaskInfo& t) {
        std::lock_guard<std::mutex> lock(m);
        told.push_back(t);
        cv.notify_all();
    });
    JobOwner other{"instance-other", "x", "", ""};
    add_ended("theirs3", JobState::Completed, "", &other);
    add_ended("mine3", JobState::Failed, "exit code 2");
    {
        std::unique_lock<std::mutex> lock(m);
        ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] {
            for (const auto& t : told)
                if (t.taskId == "mine3" && t.status == "failed") return true;
            return false;
        }));
    }
    stop();
    std::lock_guard<std::mutex> lock(m);
    for (const auto& t : told) {
        EXPECT_NE(t.taskId, "theirs3");
        if (t.taskId == "mine3" && t.status == "failed") {
            EXPECT_EQ(t.statusMessage, "failed: exit code 2");
        }
    }
}

}  // namespace

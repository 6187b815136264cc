// RunnerBackend (claude_jobs/runner_backend.h): what the base does once for every runner-based
// backend — the configure-and-swap, the not-configured and already-started guards, the JobSpec
// checks, recover()'s version check and decoding, the job map, the noexcept guard — proven on a
// backend whose hooks only record what they were asked.
#include "claude_jobs/runner_backend.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace claude_jobs {
namespace {

using namespace std::chrono_literals;

struct FakeSettings {
    int level = 0;
};

struct FakeJob {
    std::string jobDir;
    int level = 0;
};

// Settings are "{}" or {"level": N}; found by the base next to FakeSettings.
bool parse_settings(const std::string& configJson, FakeSettings& out, std::string& why) {
    if (configJson.empty() || configJson == "{}") {
        out = FakeSettings{};
        return true;
    }
    if (configJson.rfind("{\"level\": ", 0) == 0) {
        out = FakeSettings{std::stoi(configJson.substr(10))};
        return true;
    }
    why = "unknown key in " + configJson;
    return false;
}

// State is "<level>:<jobDir>".
std::string encode_state(const FakeJob& job) {
    return std::to_string(job.level) + ":" + job.jobDir;
}

bool decode_state(const std::string& text, FakeJob& out, std::string& why) {
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0) {
        why = "no level";
        return false;
    }
    out.level = std::stoi(text.substr(0, colon));
    out.jobDir = text.substr(colon + 1);
    return true;
}

class FakeBackend final : public RunnerBackend<FakeSettings, FakeJob> {
  public:
    FakeBackend() : RunnerBackend({"fake", "1", "for tests"}, {true, false, true}, 3) {}

    // What the hooks saw.
    std::atomic<int> launches{0}, queries{0}, halts{0}, configuredCalls{0};
    std::vector<std::pair<std::string, bool>> released;  // id, tracked
    std::vector<std::string> recoveredIds;
    int lastGrace = -100;
    bool failLaunch = false;
    bool throwInQuery = false;
    // When set, launch() waits for it (to show other calls are not held up meanwhile).
    std::promise<void>* holdLaunch = nullptr;

    // The implementer's view of the base.
    using RunnerBackend::configured_context;
    using RunnerBackend::context;
    using RunnerBackend::find;
    using RunnerBackend::jobs;

  protected:
    Result<void> check_health(const Context& context) override {
        if (context.settings.level < 0) return make_error(ErrorCode::Unavailable, "too low");
        return {};
    }
    Result<FakeJob> launch(const JobSpec& spec, const Context& context) override {
        ++launches;
        if (holdLaunch) holdLaunch->get_future().wait();
        // A hook may use the base's accessors: none of them is locked while it runs.
        EXPECT_FALSE(find(spec.jobId)) << "not in the map before launch() returns";
        EXPECT_TRUE(configured_context());
        if (failLaunch) return make_error(ErrorCode::Unavailable, "no runner");
        return FakeJob{spec.jobDir, context.settings.level};
    }
    Result<JobStatus> query(const std::string&, const FakeJob& job, const Context&) override {
        ++queries;
        if (throwInQuery) throw std::runtime_error("the hook broke");
        JobStatus status;
        status.exitCode = job.level;
        return status;
    }
    Result<void> halt(const std::string&, const FakeJob&, int graceSec, const Context&) override {
        ++halts;
        lastGrace = graceSec;
        return {};
    }
    Result<void> release(const std::string& jobId, const std::optional<FakeJob>& job,
                         const Context&) override {
        released.emplace_back(jobId, job.has_value());
        return {};
    }
    void configured(const Context&) override { ++configuredCalls; }
    Result<void> recovered(const std::string& jobId, const FakeJob& job) override {
        if (job.level < 0) return make_error(ErrorCode::InvalidArgument, "not this job's");
        recoveredIds.push_back(jobId);
        return {};
    }
};

JobSpec spec(const std::string& id) {
    JobSpec spec;
    spec.jobId = id;
    spec.jobDir = "/state/jobs/" + id;
    spec.workFolder = "/work";
    spec.claudePath = "claude";
    return spec;
}

HostContext host() {
    return {"fast", "/opt/claude-jobs-runner", "/state", "test"};
}

TEST(SdkRunnerBackend, DescribesItselfFromWhatItWasGiven) {
    FakeBackend backend;
    EXPECT_EQ(backend.info().plugin, "fake");
    EXPECT_EQ(backend.info().description, "for tests");
    auto caps = backend.capabilities();
    EXPECT_TRUE(caps.survivesServerRestart);
    EXPECT_FALSE(caps.attach);
    EXPECT_TRUE(caps.sendInput);
}

TEST(SdkRunnerBackend, NothingRunsBeforeConfigure) {
    FakeBackend backend;
    auto health = backend.health();
    ASSERT_FALSE(health);
    EXPECT_EQ(health.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(health.error().message, "fake is not configured");
    auto started = backend.start(spec("a"));
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().message, "fake is not configured");
    EXPECT_EQ(backend.launches, 0);
}

TEST(SdkRunnerBackend, ConfigureSwapsSettingsInWhole) {
    FakeBackend backend;
    auto refused = backend.configure("nonsense", host());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(backend.configuredCalls, 0);
    EXPECT_FALSE(backend.health()) << "still not configured";

    ASSERT_TRUE(backend.configure("{\"level\": 4}", host()));
    EXPECT_EQ(backend.configuredCalls, 1);
    auto before = backend.context();
    EXPECT_EQ(before->settings.level, 4);
    EXPECT_EQ(before->host.instanceName, "fast");
    EXPECT_EQ(before->bootId, current_boot_id());
    ASSERT_TRUE(backend.configure("{\"level\": -1}", host()));
    EXPECT_EQ(before->settings.level, 4) << "a snapshot taken before stays as it was";
    EXPECT_EQ(backend.context()->settings.level, -1);
    EXPECT_EQ(backend.health().error().message, "too low") << "the hook decides, once configured";
}

TEST(SdkRunnerBackend, StartChecksTheSpecThenLaunches) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{\"level\": 2}", host()));
    std::vector<JobSpec> bad(6, spec("ok"));
    bad[0].jobId = "../escape";
    bad[1].jobId = "";
    bad[2].jobDir = "relative/jobs/ok";
    bad[3].workFolder = "";
    bad[4].workFolder = "work";
    bad[5].claudePath = "";
    for (const auto& s : bad) {
        auto started = backend.start(s);
        ASSERT_FALSE(started);
        EXPECT_EQ(started.error().code, ErrorCode::InvalidArgument);
    }
    EXPECT_EQ(backend.launches, 0) << "a bad spec never reaches the hook";

    auto started = backend.start(spec("ok"));
    ASSERT_TRUE(started) << started.error().message;
    EXPECT_EQ(started->jobId, "ok");
    EXPECT_EQ(started->instanceName, "fast");
    EXPECT_EQ(started->stateVersion, 3u);
    EXPECT_EQ(started->backendState, "2:/state/jobs/ok");
    auto again = backend.start(spec("ok"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
    EXPECT_EQ(backend.launches, 1);
}

TEST(SdkRunnerBackend, AFailedLaunchLeavesNoJob) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    backend.failLaunch = true;
    auto started = backend.start(spec("x"));
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().message, "no runner");
    EXPECT_EQ(backend.status("x").error().code, ErrorCode::NotFound);
    backend.failLaunch = false;
    EXPECT_TRUE(backend.start(spec("x"))) << "the id is free again";
}

TEST(SdkRunnerBackend, UnknownJobsAreNotFound) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    auto status = backend.status("nope");
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::NotFound);
    EXPECT_EQ(status.error().message, "fake has no job nope (neither started nor recovered)");
    EXPECT_EQ(backend.stop("nope", 1).error().code, ErrorCode::NotFound);
    EXPECT_EQ(backend.queries + backend.halts, 0);
}

TEST(SdkRunnerBackend, StatusAndStopReachTheHooksWithTheJob) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{\"level\": 7}", host()));
    ASSERT_TRUE(backend.start(spec("j")));
    auto status = backend.status("j");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->exitCode, 7);
    ASSERT_TRUE(backend.stop("j", 5));
    EXPECT_EQ(backend.lastGrace, 5);
    ASSERT_TRUE(backend.stop("j", -3));
    EXPECT_EQ(backend.lastGrace, 0) << "a negative grace is none";
}

TEST(SdkRunnerBackend, RecoverChecksVersionIdAndState) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    auto future = backend.recover({"r", "fast", 4, "1:/j"});
    ASSERT_FALSE(future);
    EXPECT_EQ(future.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(future.error().message,
              "job r: fake state version 4 is not one this module reads (3)");
    EXPECT_EQ(backend.recover({"a/b", "fast", 3, "1:/j"}).error().message,
              "a job handle without a valid job id");
    EXPECT_EQ(backend.recover({"", "fast", 3, "1:/j"}).error().code, ErrorCode::InvalidArgument);
    auto garbage = backend.recover({"r", "fast", 3, "garbage"});
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().message, "job r: unreadable fake state: no level");
    auto refused = backend.recover({"r", "fast", 3, "-1:/state/jobs/r"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "not this job's") << "the hook may refuse";
    EXPECT_EQ(backend.status("r").error().code, ErrorCode::NotFound) << "and nothing is kept";
    EXPECT_TRUE(backend.recoveredIds.empty());

    ASSERT_TRUE(backend.recover({"r", "fast", 3, "9:/state/jobs/r"}));
    ASSERT_TRUE(backend.recover({"r", "fast", 3, "9:/state/jobs/r"})) << "idempotent";
    EXPECT_EQ(backend.recoveredIds, (std::vector<std::string>{"r", "r"}));
    EXPECT_EQ(backend.status("r")->exitCode, 9);
    EXPECT_EQ(backend.find("r")->jobDir, "/state/jobs/r");
}

TEST(SdkRunnerBackend, DestroyForgetsThenReleases) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    ASSERT_TRUE(backend.start(spec("d")));
    ASSERT_TRUE(backend.destroy("d"));
    ASSERT_TRUE(backend.destroy("d")) << "idempotent";
    ASSERT_TRUE(backend.destroy("never-seen"));
    EXPECT_EQ(backend.released, (std::vector<std::pair<std::string, bool>>{
                                    {"d", true}, {"d", false}, {"never-seen", false}}));
    EXPECT_EQ(backend.status("d").error().code, ErrorCode::NotFound);
    EXPECT_TRUE(backend.jobs().empty());
}

TEST(SdkRunnerBackend, AThrowingHookIsAnInternalErrorNamingTheBackend) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    ASSERT_TRUE(backend.start(spec("t")));
    backend.throwInQuery = true;
    auto status = backend.status("t");
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::Internal);
    EXPECT_EQ(status.error().message, "fake: the hook broke");
}

// A slow launch holds no lock: other jobs are asked about meanwhile, and a second start of
// another id goes ahead.
TEST(SdkRunnerBackend, HooksRunWithoutTheLock) {
    FakeBackend backend;
    ASSERT_TRUE(backend.configure("{}", host()));
    ASSERT_TRUE(backend.start(spec("first")));
    std::promise<void> release;
    backend.holdLaunch = &release;
    auto slow = std::async(std::launch::async, [&] { return backend.start(spec("slow")); });
    while (backend.launches < 2) std::this_thread::sleep_for(1ms);
    auto status = std::async(std::launch::async, [&] { return backend.status("first"); });
    ASSERT_EQ(status.wait_for(5s), std::future_status::ready) << "status() waited for a launch";
    EXPECT_TRUE(status.get());
    EXPECT_TRUE(backend.health());
    release.set_value();
    EXPECT_TRUE(slow.get());
    EXPECT_EQ(backend.jobs().size(), 2u);
}

}  // namespace
}  // namespace claude_jobs

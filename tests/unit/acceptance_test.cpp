// Tests of accepting a start: every argument check (each refusal with its code and a message
// naming what is wrong), the work folder's resolution, the backend's choice and health, the
// session to resume, and what an accepted start carries (the row to record and the exact
// launch plan); an idempotency key that names an earlier job answers with that job.
#include "core/jobs/acceptance.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/job_world.h"
#include "support/stream_json.h"
#include "support/temp_dir.h"

namespace {

using cj::jobs::Acceptance;
using cj::jobs::JobState;
using cj::jobs::StartAcceptor;
using cj::jobs::StartRequest;
using cj::testing::FakeSpec;
using cj::testing::JobWorld;
using cj::testing::TempDir;
using claude_jobs::ErrorCode;
using nlohmann::json;
namespace fs = std::filesystem;
namespace sj = cj::testing::stream_json;

constexpr const char* kUuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

bool has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

class AcceptanceTest : public ::testing::Test {
  protected:
    AcceptanceTest() {
        w_.config.claude.removeEnv = {"SECRET_TOKEN"};
        w_.config.claude.env = {{"FROM_CONFIG", "yes"}};
    }

    StartAcceptor acceptor(int depth = 0) {
        cj::jobs::JobOwner self{"inst-1", "", "sess-9", "/home/me/project"};
        return StartAcceptor(w_.config, *w_.index, *w_.backends, w_.reconciler, w_.events, depth,
                             {"PATH=/usr/bin", "SECRET_TOKEN=hush", "HOME=/home/me"}, self);
    }
    StartRequest request() const {
        StartRequest r;
        r.prompt = "tidy the build";
        r.workFolder = work_.path();
        return r;
    }
    claude_jobs::Result<Acceptance> accept(const StartRequest& r, int depth = 0) {
        return acceptor(depth).accept(r);
    }
    // The error of a refused start ("" with a failure when it was accepted).
    claude_jobs::Error refusal(const StartRequest& r, int depth = 0) {
        auto a = accept(r, depth);
        if (a.ok()) {
            ADD_FAILURE() << "accepted";
            return {};
        }
        return a.error();
    }
    void expect_invalid(const StartRequest& r, const std::string& words) {
        auto e = refusal(r);
        EXPECT_EQ(e.code, ErrorCode::InvalidArgument) << e.message;
        EXPECT_NE(e.message.find(words), std::string::npos) << e.message;
    }
    void expect_accepted(const StartRequest& r) {
        auto a = accept(r);
        EXPECT_TRUE(a.ok()) << a.error().message;
    }

    JobWorld w_{{FakeSpec{"fake"}, FakeSpec{"other"}, FakeSpec{"broken", {}, false}}};
    TempDir work_{"cj-work"};
};

TEST_F(AcceptanceTest, DepthLimitStopsRecursion) {
    w_.config.maxDepth = 2;
    auto e = refusal(request(), 2);
    EXPECT_EQ(e.code, ErrorCode::LimitReached);
    EXPECT_NE(e.message.find("maxDepth 2"), std::string::npos) << e.message;
    EXPECT_TRUE(accept(request(), 1).ok());
}

TEST_F(AcceptanceTest, NamedFieldsHaveSizeLimits) {
    struct Field {
        const char* name;
        std::string StartRequest::*member;
        std::size_t limit;
    };
    for (const Field& f :
         {Field{"model", &StartRequest::model, 200}, Field{"backend", &StartRequest::backend, 200},
          Field{"jobId", &StartRequest::jobId, 200},
          Field{"idempotencyKey", &StartRequest::idempotencyKey, 256},
          Field{"resumeSessionId", &StartRequest::resumeSessionId, 200},
          Field{"resumeJobId", &StartRequest::resumeJobId, 200},
          Field{"label", &StartRequest::label, 500}}) {
        StartRequest r = request();
        r.*f.member = std::string(f.limit + 1, 'a');
        auto e = refusal(r);
        EXPECT_EQ(e.code, ErrorCode::InvalidArgument) << f.name;
        EXPECT_EQ(e.message, std::string(f.name) + " is " + std::to_string(f.limit + 1) +
                                 " bytes; the limit is " + std::to_string(f.limit));
    }
    StartRequest r = request();
    r.label = std::string(500, 'l');
    expect_accepted(r);
}

TEST_F(AcceptanceTest, ModelNameMustBePlain) {
    StartRequest r = request();
    r.model = "--dangerous";
    expect_invalid(r, "model must not be empty or start with '-'");
    r.model = "opus\x01";
    expect_invalid(r, "model must not contain control characters");
    r.model = "claude-opus-4";
    expect_accepted(r);
}

TEST_F(AcceptanceTest, IsolationIsOneOfThreeAndIncludeUncommittedGoesWithWorktree) {
    StartRequest r = request();
    r.isolation = "chroot";
    expect_invalid(r, "isolation must be none, worktree or copy");
    r.isolation = "copy";
    r.includeUncommitted = true;
    expect_invalid(r, "includeUncommitted goes with isolation \"worktree\"");
    r.isolation = "worktree";
    auto ok = accept(r);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->start.isolation, cj::jobs::IsolationMode::Worktree);
    EXPECT_TRUE(ok->start.includeUncommitted);
    EXPECT_NE(ok->start.draft.spec.find("\"isolation\":\"worktree\""), std::string::npos);
}

TEST_F(AcceptanceTest, ToolNamesMustBePlain) {
    for (auto member : {&StartRequest::allowedTools, &StartRequest::disallowedTools}) {
        std::string name =
            member == &StartRequest::allowedTools ? "allowedTools" : "disallowedTools";
        StartRequest r = request();
        r.*member = {"Read", "-rf"};
        expect_invalid(r, name + " must not be empty or start with '-'");
        r.*member = {""};
        expect_invalid(r, name + " items must be 1 to 1024 bytes");
        r.*member = {std::string(1025, 't')};
        expect_invalid(r, name + " items must be 1 to 1024 bytes");
        r.*member = {"Bash(ls\n)"};
        expect_invalid(r, name + " must not contain control characters");
        r.*member = std::vector<std::string>(201, "Read");
        expect_invalid(r, name + " holds 201 items; the limit is 200");
        r.*member = std::vector<std::string>(200, "Read");
        expect_accepted(r);
        r.*member = {std::string(1024, 't'), "Bash(git log:*)"};
        expect_accepted(r);
    }
}

TEST_F(AcceptanceTest, PermissionModeIsOneOfTheKnown) {
    for (const char* mode :
         {"acceptEdits", "auto", "bypassPermissions", "default", "dontAsk", "manual", "plan"}) {
        StartRequest r = request();
        r.permissionMode = mode;
        auto a = accept(r);
        ASSERT_TRUE(a.ok()) << mode << ": " << a.error().message;
        EXPECT_TRUE(has(a->start.plan.args, mode)) << mode;
    }
    StartRequest r = request();
    r.permissionMode = "yolo";
    expect_invalid(r, "permissionMode must be one of");
    r.permissionMode = "";
    expect_invalid(r, "permissionMode must be one of");
}

TEST_F(AcceptanceTest, BudgetIsBounded) {
    for (double bad : {0.0, -1.0, 1e-10, 1e6 + 1, std::nan(""), HUGE_VAL}) {
        StartRequest r = request();
        r.maxBudgetUsd = bad;
        expect_invalid(r, "maxBudgetUsd must be more than 0 and at most 1000000");
    }
    for (double good : {1e-9, 0.5, 1e6}) {
        StartRequest r = request();
        r.maxBudgetUsd = good;
        expect_accepted(r);
    }
}

TEST_F(AcceptanceTest, TimeoutMustBePositiveAndWithinTheMaximum) {
    w_.config.maxTimeoutSec = 3600;
    StartRequest r = request();
    r.timeoutSec = 0;
    expect_invalid(r, "timeoutSec must be at least 1");
    r.timeoutSec = -5;
    expect_invalid(r, "timeoutSec must be at least 1");
    r.timeoutSec = 3601;
    expect_invalid(r, "timeoutSec 3601 is over the limit of 3600 (config maxTimeoutSec)");
    r.timeoutSec = 3600;
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->start.plan.timeoutSec, 3600);
}

TEST_F(AcceptanceTest, TimeoutDefaultsAndIsClampedForTheSupervisor) {
    w_.config.defaultTimeoutSec = 1234;
    auto a = accept(request());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->start.plan.timeoutSec, 1234);
    EXPECT_EQ(json::parse(a->start.draft.spec)["timeoutSec"], 1234);

    w_.config.maxTimeoutSec = 0;  // no maximum
    StartRequest r = request();
    r.timeoutSec = 10LL * 365 * 86400;
    a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->start.plan.timeoutSec, 365LL * 86400) << "the supervisor refuses more";
    EXPECT_EQ(json::parse(a->start.draft.spec)["timeoutSec"], 10LL * 365 * 86400);
}

TEST_F(AcceptanceTest, PromptMustBeGivenAndNotTooBig) {
    StartRequest r = request();
    r.prompt = "";
    expect_invalid(r, "prompt must not be empty");
    w_.config.limits.maxPromptBytes = 10;
    r.prompt = std::string(11, 'p');
    expect_invalid(r, "prompt is 11 bytes; the limit is 10");
    r.prompt = std::string(10, 'p');
    expect_accepted(r);
}

TEST_F(AcceptanceTest, ProposedJobIdMustBeSafe) {
    for (const char* bad : {"../up", "a/b", "-lead", ".hidden", "sp ace", "x\n"}) {
        StartRequest r = request();
        r.jobId = bad;
        expect_invalid(r, "jobId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    }
    StartRequest r = request();
    r.jobId = std::string(65, 'a');
    expect_invalid(r, "jobId must match");
    r.jobId = "my-job_1.v2";
    auto a = accept(r);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->start.draft.id, "my-job_1.v2");
}

TEST_F(AcceptanceTest, WorkFolderMustBeAnExistingAbsoluteFolder) {
    StartRequest r = request();
    r.workFolder = "relative/path";
    expect_invalid(r, "workFolder must be an absolute path, got \"relative/path\"");
    r.workFolder = work_.path() + "/missing";
    expect_invalid(r, "is not an existing folder");
    r.workFolder = work_.write("a-file", "x");
    expect_invalid(r, "is not an existing folder");
    r.workFolder = work_.path() + std::string("/x\0y", 4);
    expect_invalid(r, "workFolder contains a NUL character");
}

TEST_F(AcceptanceTest, WorkFolderIsResolvedToItsRealPath) {
    fs::create_directories(work_.path() + "/real/inner");
    fs::create_directory_symlink(work_.path() + "/real", work_.path() + "/link");
    StartRequest r = request();
    r.workFolder = work_.path() + "/link/inner/../inner";
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->start.draft.workFolder, fs::canonical(work_.path() + "/real/inner").string());
}

TEST_F(AcceptanceTest, EmptyWorkFolderMeansTheDefault) {
    w_.config.defaultWorkFolder = work_.path();
    StartRequest r = request();
    r.workFolder = "";
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->start.draft.workFolder, fs::canonical(work_.path()).string());
}

TEST_F(AcceptanceTest, WorkFolderMustBeInsideAllowedFolders) {
    fs::create_directories(work_.path() + "/allowed/sub");
    fs::create_directories(work_.path() + "/allowed-not");
    fs::create_directories(work_.path() + "/outside");
    fs::create_directory_symlink(work_.path() + "/outside", work_.path() + "/allowed/escape");
    w_.config.allowedWorkFolders = {work_.path() + "/allowed"};
    StartRequest r = request();

    r.workFolder = work_.path() + "/allowed/sub";
    expect_accepted(r);
    r.workFolder = work_.path() + "/allowed";
    expect_accepted(r);

    for (const char* refused : {"/outside", "/allowed-not", "/allowed/escape"}) {
        r.workFolder = work_.path() + refused;
        auto e = refusal(r);
        EXPECT_EQ(e.code, ErrorCode::PermissionDenied) << refused << ": " << e.message;
        EXPECT_NE(e.message.find("is outside allowedWorkFolders"), std::string::npos) << e.message;
    }
    // The symlink is judged by where it leads.
    r.workFolder = work_.path() + "/allowed/escape";
    EXPECT_NE(refusal(r).message.find(fs::canonical(work_.path() + "/outside").string()),
              std::string::npos);
}

TEST_F(AcceptanceTest, UnknownBackendNamesTheConfiguredOnes) {
    StartRequest r = request();
    r.backend = "nope";
    auto e = refusal(r);
    EXPECT_EQ(e.code, ErrorCode::InvalidArgument);
    EXPECT_EQ(e.message, "unknown backend \"nope\"; configured: fake, other, broken");
}

TEST_F(AcceptanceTest, BackendIsTheArgumentThenARouteThenTheDefault) {
    auto a = accept(request());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->start.draft.backend, "fake");

    w_.config.routes = {{fs::canonical(work_.path()).string() + "/**", "other", ""}};
    a = accept(request());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->start.draft.backend, "other");

    StartRequest r = request();
    r.backend = "fake";
    a = accept(r);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->start.draft.backend, "fake");
}

TEST_F(AcceptanceTest, UnhealthyBackendIsUnavailable) {
    w_.fake("other").set_health(
        claude_jobs::make_error(ErrorCode::Unavailable, "podman is not installed"));
    StartRequest r = request();
    r.backend = "other";
    auto e = refusal(r);
    EXPECT_EQ(e.code, ErrorCode::Unavailable);
    EXPECT_NE(e.message.find("podman is not installed"), std::string::npos) << e.message;

    r.backend = "broken";  // its module never loaded
    e = refusal(r);
    EXPECT_EQ(e.code, ErrorCode::Unavailable);
    EXPECT_NE(e.message.find("module fake not found"), std::string::npos) << e.message;
}

TEST_F(AcceptanceTest, ClaudeThatCannotRunIsRefusedAtOnce) {
    w_.config.claude.path = "claude-not-installed";
    auto e = refusal(request());
    EXPECT_EQ(e.code, ErrorCode::Unavailable);
    EXPECT_NE(e.message.find("\"claude-not-installed\" is not found on PATH (/usr/bin)"),
              std::string::npos)
        << e.message;
    EXPECT_NE(e.message.find("claude.path"), std::string::npos) << e.message;
}

TEST_F(AcceptanceTest, ResumeTakesOneOfSessionOrJob) {
    StartRequest r = request();
    r.resumeSessionId = kUuid;
    r.resumeJobId = "j1";
    expect_invalid(r, "give resumeSessionId or resumeJobId, not both");
}

TEST_F(AcceptanceTest, ResumeSessionMustBeAUuid) {
    StartRequest r = request();
    r.resumeSessionId = "not-a-uuid";
    expect_invalid(r, "resumeSessionId must be a session UUID");
    r.resumeSessionId = std::string(kUuid) + "0";
    expect_invalid(r, "resumeSessionId must be a session UUID");
    r.resumeSessionId = kUuid;
    r.forkSession = true;
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    const auto& args = a->start.plan.args;
    auto resume = std::find(args.begin(), args.end(), "--resume");
    ASSERT_NE(resume, args.end());
    ASSERT_NE(resume + 1, args.end());
    EXPECT_EQ(*(resume + 1), kUuid);
    EXPECT_TRUE(has(args, "--fork-session"));
}

TEST_F(AcceptanceTest, ResumeJobMustExistAndHaveASession) {
    StartRequest r = request();
    r.resumeJobId = "ghost";
    auto e = refusal(r);
    EXPECT_EQ(e.code, ErrorCode::NotFound);
    EXPECT_NE(e.message.find("ghost"), std::string::npos);

    w_.add_running("j1");
    r.resumeJobId = "j1";
    expect_invalid(r, "job j1 has no session to resume yet (it is running");

    // A session claude announced in the job's log is enough.
    w_.write_file("j1", "events.jsonl", sj::init(kUuid));
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_TRUE(has(a->start.plan.args, kUuid));
}

TEST_F(AcceptanceTest, ResumeJobUsesTheSessionOfItsRow) {
    w_.add_running("j1");
    ASSERT_TRUE(w_.index->set_session_id("j1", kUuid).ok());
    StartRequest r = request();
    r.resumeJobId = "j1";
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(json::parse(a->start.draft.spec)["resumeSessionId"], kUuid);
    EXPECT_TRUE(has(a->start.plan.args, kUuid));
}

TEST_F(AcceptanceTest, ForkSessionNeedsAResume) {
    StartRequest r = request();
    r.forkSession = true;
    expect_invalid(r, "forkSession needs resumeSessionId or resumeJobId");
}

TEST_F(AcceptanceTest, AcceptedStartCarriesTheRowAndThePlan) {
    StartRequest r = request();
    r.prompt = "first line\nsecond line " + std::string(300, 'z');
    r.model = "claude-test-model";
    r.permissionMode = "acceptEdits";
    r.allowedTools = {"Read", "Bash(git log:*)"};
    r.disallowedTools = {"WebFetch"};
    r.maxBudgetUsd = 2.5;
    r.timeoutSec = 600;
    r.label = "nightly";
    r.idempotencyKey = "key-1";
    r.jobId = "job-1";
    auto before = cj::util::now_ms();
    auto a = accept(r, 1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_FALSE(a->existing.has_value());

    const auto& d = a->start.draft;
    EXPECT_EQ(d.id, "job-1");
    EXPECT_EQ(d.backend, "fake");
    EXPECT_EQ(d.label, "nightly");
    EXPECT_EQ(d.workFolder, fs::canonical(work_.path()).string());
    EXPECT_EQ(d.idempotencyKey, "key-1");
    EXPECT_GE(d.createdAt, before);
    EXPECT_LE(d.createdAt, cj::util::now_ms());
    EXPECT_EQ(d.promptPreview.find('\n'), std::string::npos);
    EXPECT_LE(d.promptPreview.size(), 120u);
    EXPECT_EQ(d.promptPreview.rfind("first line second line", 0), 0u);
    json spec = json::parse(d.spec);
    EXPECT_EQ(spec["model"], "claude-test-model");
    EXPECT_EQ(spec["permissionMode"], "acceptEdits");
    EXPECT_EQ(spec["allowedTools"], json({"Read", "Bash(git log:*)"}));
    EXPECT_EQ(spec["disallowedTools"], json({"WebFetch"}));
    EXPECT_EQ(spec["maxBudgetUsd"], 2.5);
    EXPECT_EQ(spec["timeoutSec"], 600);

    EXPECT_EQ(a->start.prompt, r.prompt);
    const auto& plan = a->start.plan;
    EXPECT_EQ(plan.claudePath, w_.config.claude.path);
    EXPECT_EQ(plan.timeoutSec, 600);
    std::vector<std::string> expected = {"-p",
                                         "--output-format",
                                         "stream-json",
                                         "--verbose",
                                         "--strict-mcp-config",
                                         "--model",
                                         "claude-test-model",
                                         "--permission-mode",
                                         "acceptEdits",
                                         "--allowedTools=Read",
                                         "--allowedTools=Bash(git log:*)",
                                         "--disallowedTools=WebFetch",
                                         "--max-budget-usd",
                                         "2.5"};
    EXPECT_EQ(plan.args, expected);
    EXPECT_TRUE(has(plan.env, "PATH=/usr/bin"));
    EXPECT_TRUE(has(plan.env, "HOME=/home/me"));
    EXPECT_FALSE(has(plan.env, "SECRET_TOKEN=hush")) << "claude.removeEnv";
    EXPECT_TRUE(has(plan.env, "FROM_CONFIG=yes")) << "claude.env";
    EXPECT_TRUE(has(plan.env, "CLAUDE_JOBS_JOB_ID=job-1"));
    EXPECT_TRUE(has(plan.env, "CLAUDE_JOBS_DEPTH=2")) << "one deeper than this server";
}

TEST_F(AcceptanceTest, PermissionModeDefaultsToTheConfigs) {
    w_.config.claude.permissionMode = "plan";
    auto a = accept(request());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(json::parse(a->start.draft.spec)["permissionMode"], "plan");
    EXPECT_TRUE(has(a->start.plan.args, "plan"));
}

TEST_F(AcceptanceTest, NewJobIdsAreMintedAndDistinct) {
    auto a = accept(request());
    auto b = accept(request());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_FALSE(a->start.draft.id.empty());
    EXPECT_NE(a->start.draft.id, b->start.draft.id);
}

TEST_F(AcceptanceTest, IdempotencyKeyAnswersWithTheEarlierJob) {
    cj::jobs::JobRecord earlier = w_.draft("earlier");
    earlier.idempotencyKey = "same-key";
    ASSERT_TRUE(w_.index->insert(earlier, 10).ok());
    StartRequest r = request();
    r.idempotencyKey = "same-key";
    auto a = accept(r);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(a->existing.has_value());
    EXPECT_EQ(a->existing->id, "earlier");
    EXPECT_EQ(a->existing->state, JobState::Running);

    r.idempotencyKey = "another-key";
    a = accept(r);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->existing.has_value());
}

TEST_F(AcceptanceTest, OwnerIsThisProcessAndTheClientThatAsked) {
    StartRequest r = request();
    r.clientName = "claude-code 2.1.329\nforged";
    auto accepted = acceptor().accept(r);
    ASSERT_TRUE(accepted) << accepted.error().message;
    const auto& owner = accepted->start.draft.owner;
    EXPECT_EQ(owner.instance, "inst-1");
    EXPECT_EQ(owner.session, "sess-9");
    EXPECT_EQ(owner.project, "/home/me/project");
    EXPECT_EQ(owner.client, "claude-code 2.1.329 forged");  // one line, whatever was sent
}

}  // namespace

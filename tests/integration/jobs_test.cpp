// The job tools end to end through the built server, with the stand-in claude: every tool,
// every state, cursors, idempotency, resume, queueing, and hostile input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "harness.h"

namespace cj::testing {
namespace {

class JobsTest : public ::testing::Test {
protected:
    void SetUp() override { start_server(default_config(state_.path())); }
    void start_server(const json& config) {
        server_.reset();
        server_ = std::make_unique<Server>(state_.path(), config);
        server_->initialize();
    }
    json start(const std::string& prompt, json extra = json::object()) {
        extra["prompt"] = prompt;
        if (!extra.contains("workFolder")) extra["workFolder"] = work_.path();
        return server_->ok("claude_start", extra);
    }
    std::string job_dir(const std::string& id) { return state_.path() + "/jobs/" + id; }

    TempDir state_{"cj-state"};
    TempDir work_{"cj-work"};
    std::unique_ptr<Server> server_;
};

TEST_F(JobsTest, StartReturnsAtOnceAndJobCompletes) {
    json started = start("say hello there");
    ASSERT_TRUE(started.contains("jobId"));
    EXPECT_EQ(started["status"], "running");
    EXPECT_EQ(started["backend"], "local");
    json view = server_->wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);
    EXPECT_EQ(view["exitCode"], 0);
    EXPECT_EQ(view["result"]["text"], "hello there");
    EXPECT_FALSE(view["result"]["isError"].get<bool>());
    // The answer is read once, in result.text: not in lastText nor again in the tail.
    EXPECT_EQ(view["activity"]["lastText"], "");
    EXPECT_EQ(view["output"].get<std::string>().find("hello there"), std::string::npos);
    EXPECT_NE(view["output"].get<std::string>().find("[the final answer: result.text]"),
              std::string::npos);
    EXPECT_EQ(view["output"].get<std::string>().find("\"type\""), std::string::npos)
        << "the transcript is rendered, not raw JSON";
    EXPECT_EQ(view["workFolder"], std::filesystem::canonical(work_.path()).string());
    EXPECT_TRUE(view.contains("reason"));
    // The files of SPEC §3.4 are there, private.
    std::string dir = job_dir(started["jobId"]);
    for (const char* f : {"prompt.txt", "events.jsonl", "stderr.log", "runner.json", "exit.json"})
        EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
    EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
}

// A client that reads structuredContent (2025-06-18 and later) gets the rows, the tail and the
// answer once, there, and a brief in the text block; an older client reads them all in the
// text block (docs/protocol.md, "The text block").
TEST_F(JobsTest, TheBulkGoesOnceToAClientThatReadsStructuredContent) {
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i)
        ids.push_back(start("say tail-marker-" + std::to_string(i) + "\nsay answer-marker",
                            {{"label", "brief"}})["jobId"]);
    for (const auto& id : ids) ASSERT_EQ(server_->wait_done(id)["status"], "completed");
    auto text = [](const json& result) { return result["content"][0]["text"].get<std::string>(); };
    auto has = [](const std::string& s, const std::string& part) {
        return s.find(part) != std::string::npos;
    };

    // 2025-06-18 (the harness's default).
    json listed = server_->call("claude_jobs", {{"label", "brief"}});
    ASSERT_EQ(listed["structuredContent"]["jobs"].size(), 2u);
    EXPECT_EQ(text(listed).rfind(
                  "jobs: 2 listed, newest first: 2 completed (2 rows, in structuredContent)\n"
                  "counts:\n  completed: 2\n",
                  0),
              0u)
        << text(listed);
    for (const auto& id : ids) EXPECT_FALSE(has(text(listed), id)) << text(listed);
    json checked = server_->call("claude_check", {{"jobId", ids[0]}});
    const json& view = checked["structuredContent"];
    EXPECT_EQ(view["result"]["text"], "answer-marker");
    EXPECT_TRUE(has(view["output"].get<std::string>(), "tail-marker-0")) << view["output"];
    EXPECT_TRUE(has(text(checked), "jobId: " + ids[0] + "\nstatus: completed\n")) << text(checked);
    EXPECT_TRUE(has(text(checked), "output: (" +
                                       std::to_string(view["output"].get<std::string>().size()) +
                                       " bytes, in structuredContent)\n"))
        << text(checked);
    EXPECT_FALSE(has(text(checked), "tail-marker-0")) << text(checked);
    EXPECT_FALSE(has(text(checked), "answer-marker")) << text(checked);
    json waited = server_->call("claude_wait", {{"jobIds", ids}, {"mode", "all"}});
    ASSERT_EQ(waited["structuredContent"]["done"].size(), 2u);
    EXPECT_EQ(waited["structuredContent"]["done"][1]["result"]["text"], "answer-marker");
    EXPECT_FALSE(has(text(waited), "answer-marker")) << text(waited);
    EXPECT_TRUE(has(text(waited), ids[1])) << text(waited);

    // 2025-03-26: no structuredContent for this client, so everything is in the text block.
    Server old(state_.path(), default_config(state_.path()));
    old.initialize("2025-03-26");
    json oldListed = old.call("claude_jobs", {{"label", "brief"}});
    EXPECT_EQ(oldListed["structuredContent"], listed["structuredContent"]);
    for (const auto& id : ids) EXPECT_TRUE(has(text(oldListed), id)) << text(oldListed);
    json oldChecked = old.call("claude_check", {{"jobId", ids[0]}});
    EXPECT_TRUE(has(text(oldChecked), "tail-marker-0")) << text(oldChecked);
    EXPECT_TRUE(has(text(oldChecked), "text: answer-marker")) << text(oldChecked);
    json oldWaited = old.call("claude_wait", {{"jobIds", ids}, {"mode", "all"}});
    EXPECT_TRUE(has(text(oldWaited), "text: answer-marker")) << text(oldWaited);
}

TEST_F(JobsTest, NonZeroExitIsFailedWithReason) {
    json started = start("stderr something broke\nexit 3");
    json view = server_->wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_EQ(view["exitCode"], 3);
    EXPECT_NE(view["reason"].get<std::string>().find("exit code 3"), std::string::npos)
        << view["reason"];
    EXPECT_NE(view["stderrTail"].get<std::string>().find("something broke"), std::string::npos);
}

TEST_F(JobsTest, ResultErrorWithExitZeroIsFailed) {
    json started = start("error interrupted by user\nexit 0");
    json view = server_->wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "failed") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("interrupted by user"), std::string::npos);
}

TEST_F(JobsTest, MissingClaudeBinaryIsRefusedAtOnceWithTheFix) {
    json config = default_config(state_.path());
    config["claude"]["path"] = "/nonexistent/claude";
    start_server(config);
    json refused = server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work_.path()}});
    ASSERT_TRUE(refused["isError"].get<bool>()) << refused.dump(2);
    json error = refused["structuredContent"]["error"];
    EXPECT_EQ(error["code"], "unavailable");
    std::string message = error["message"];
    EXPECT_NE(message.find("\"/nonexistent/claude\" is not an executable file"), std::string::npos)
        << message;
    EXPECT_NE(message.find("npm install -g @anthropic-ai/claude-code"), std::string::npos)
        << message;
    EXPECT_TRUE(server_->ok("claude_jobs", json::object())["jobs"].empty()) << "no job was made";
}

TEST_F(JobsTest, TimeoutEndsTimedOut) {
    json started = start("sleep 30", {{"timeoutSec", 1}});
    json view = server_->wait_done(started["jobId"]);
    EXPECT_EQ(view["status"], "timed_out") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("ran past 1 s"), std::string::npos);
}

TEST_F(JobsTest, CancelEndsTheWholeProcessGroup) {
    std::string pidfile = work_.file("grandchild.pid");
    json started = start("spawn-child 60 " + pidfile + "\nsleep 60");
    std::string id = started["jobId"];
    ASSERT_TRUE(wait_until([&] { return !read_text(pidfile).empty(); }));
    pid_t grandchild = std::stoi(read_text(pidfile));
    ASSERT_TRUE(process_alive(grandchild));
    json view = server_->ok("claude_cancel", {{"jobId", id}, {"graceSec", 2}});
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
    EXPECT_TRUE(wait_until([&] { return !process_alive(grandchild); }))
        << "grandchild " << grandchild << " survived the cancel";
    // Cancelling again leaves it as it is and says so.
    json again = server_->ok("claude_cancel", {{"jobId", id}});
    EXPECT_EQ(again["status"], "cancelled");
    EXPECT_TRUE(again.contains("message"));
}

TEST_F(JobsTest, JobSeesOnlyStdioDescriptors) {
    std::string fds = work_.file("fds.txt");
    json started = start("fds " + fds);
    json view = server_->wait_done(started["jobId"]);
    ASSERT_EQ(view["status"], "completed");
    EXPECT_EQ(read_text(fds), "0\n1\n2\n");
}

TEST_F(JobsTest, PromptGoesOnStdinNotArgv) {
    std::string args = work_.file("args.txt");
    json started = start("args " + args + "\n--dangerous-looking prompt line");
    server_->wait_done(started["jobId"]);
    std::string argv = read_text(args);
    EXPECT_EQ(argv.find("dangerous-looking"), std::string::npos) << argv;
    EXPECT_NE(argv.find("stream-json"), std::string::npos) << argv;
}

TEST_F(JobsTest, JobEnvironmentCarriesIdAndDepth) {
    std::string env = work_.file("env.txt");
    json started = start("env " + env);
    server_->wait_done(started["jobId"]);
    std::string text = read_text(env);
    EXPECT_NE(text.find("CLAUDE_JOBS_JOB_ID=" + started["jobId"].get<std::string>()),
              std::string::npos);
    EXPECT_NE(text.find("CLAUDE_JOBS_DEPTH=1"), std::string::npos);
}

TEST_F(JobsTest, SinceOffsetReadsOnlyWhatIsNew) {
    json started = start("say first\nsleep 0.5\nsay second");
    std::string id = started["jobId"];
    json first;
    ASSERT_TRUE(wait_until([&] {
        first = server_->ok("claude_check", {{"jobId", id}, {"sinceOffset", 0}});
        return first["output"].get<std::string>().find("first") != std::string::npos;
    }));
    server_->wait_done(id);
    json rest = server_->ok("claude_check", {{"jobId", id}, {"sinceOffset", first["nextOffset"]}});
    std::string out = rest["output"];
    EXPECT_EQ(out.find("first"), std::string::npos) << out;
    EXPECT_NE(out.find("[the final answer: result.text]"), std::string::npos) << out;
    EXPECT_EQ(rest["result"]["text"], "second");
    json none = server_->ok("claude_check", {{"jobId", id}, {"sinceOffset", rest["nextOffset"]}});
    EXPECT_EQ(none["output"], "");
    json past = server_->call("claude_check", {{"jobId", id}, {"sinceOffset", 1 << 30}});
    EXPECT_TRUE(past["isError"].get<bool>());
}

TEST_F(JobsTest, LargeOutputGivesBoundedTail) {
    json started = start("output 3000000\nsay the end");
    json view = server_->wait_done(started["jobId"]);
    ASSERT_EQ(view["status"], "completed");
    json check = server_->ok("claude_check", {{"jobId", started["jobId"]}, {"tailBytes", 1000}});
    EXPECT_LE(check["output"].get<std::string>().size(), 1000u);
    EXPECT_NE(check["output"].get<std::string>().find("[the final answer: result.text]"),
              std::string::npos);
    EXPECT_EQ(check["result"]["text"], "the end");
}

TEST_F(JobsTest, HugeResultIsBoundedInViews) {
    std::string big(100000, 'x');
    json started = start("say " + big);
    json view = server_->wait_done(started["jobId"]);
    ASSERT_EQ(view["status"], "completed");
    EXPECT_LE(view["result"]["text"].get<std::string>().size(), 16384u) << "claude_wait's views";
    EXPECT_TRUE(view["result"]["truncated"].get<bool>());
    EXPECT_EQ(view["result"]["textBytes"], 100000);
    json check = server_->ok("claude_check", {{"jobId", started["jobId"]}});
    EXPECT_LE(check["result"]["text"].get<std::string>().size(), 16384u);
    json all = server_->ok("claude_check", {{"jobId", started["jobId"]}, {"tailBytes", 200000}});
    EXPECT_EQ(all["result"]["text"].get<std::string>().size(), 100000u) << "a larger tailBytes reads it whole";
    EXPECT_FALSE(all["result"].contains("truncated"));
}

TEST_F(JobsTest, RootWithBypassPermissionsIsWarnedAbout) {
    json none = server_->ok("claude_backends", json::object());
    EXPECT_TRUE(none["warnings"].empty()) << "no permission flag: nothing to warn about";
    json config = default_config(state_.path());
    config["claude"]["permissionMode"] = "bypassPermissions";
    start_server(config);
    json report = server_->ok("claude_backends", json::object());
    if (::geteuid() == 0) {
        ASSERT_EQ(report["warnings"].size(), 1u) << report.dump(2);
        EXPECT_NE(report["warnings"][0].get<std::string>().find("IS_SANDBOX"), std::string::npos);
    } else {
        EXPECT_TRUE(report["warnings"].empty());
    }
}

TEST_F(JobsTest, IdempotencyKeyReturnsTheSameJob) {
    json a = start("say once", {{"idempotencyKey", "key-1"}});
    json b = start("say twice", {{"idempotencyKey", "key-1"}});
    EXPECT_EQ(a["jobId"], b["jobId"]);
    EXPECT_TRUE(b.value("existing", false));
    json list = server_->ok("claude_jobs", json::object());
    EXPECT_EQ(list["jobs"].size(), 1u);
}

TEST_F(JobsTest, ResumeByJobIdContinuesTheSession) {
    json first = start("say one");
    json done = server_->wait_done(first["jobId"]);
    std::string session = done["result"]["sessionId"];
    ASSERT_FALSE(session.empty());
    std::string args = work_.file("resume-args.txt");
    json second = start("args " + args + "\nsay two", {{"resumeJobId", first["jobId"]}});
    json view = server_->wait_done(second["jobId"]);
    EXPECT_EQ(view["result"]["sessionId"], session);
    EXPECT_NE(read_text(args).find("--resume\n" + session), std::string::npos);
    json bad = server_->call("claude_start", {{"prompt", "x"}, {"resumeJobId", "nope"}});
    EXPECT_TRUE(bad["isError"].get<bool>());
    EXPECT_EQ(bad["structuredContent"]["error"]["code"], "not_found");
}

TEST_F(JobsTest, QueueHoldsTheCapAndDrainsInOrder) {
    json config = default_config(state_.path());
    config["maxConcurrentJobs"] = 1;
    start_server(config);
    json a = start("sleep 0.5\nsay a");
    json b = start("say b");
    json c = start("say c");
    EXPECT_EQ(a["status"], "running");
    EXPECT_EQ(b["status"], "queued");
    EXPECT_EQ(b["queuePosition"], 1);
    EXPECT_EQ(c["queuePosition"], 2);
    json cancelled = server_->ok("claude_cancel", {{"jobId", c["jobId"]}});
    EXPECT_EQ(cancelled["status"], "cancelled");
    json all = server_->ok("claude_wait", {{"jobIds", {a["jobId"], b["jobId"]}}, {"mode", "all"},
                                           {"timeoutSec", 30}});
    ASSERT_EQ(all["done"].size(), 2u) << all.dump(2);
    EXPECT_FALSE(all["timedOut"].get<bool>());
    json va = server_->ok("claude_check", {{"jobId", a["jobId"]}});
    json vb = server_->ok("claude_check", {{"jobId", b["jobId"]}});
    EXPECT_LE(va["endedAt"].get<std::string>(), vb["startedAt"].get<std::string>())
        << "b started before a ended: the cap of 1 was not held";
    EXPECT_FALSE(std::filesystem::exists(job_dir(c["jobId"]) + "/runner.json"))
        << "a job cancelled in the queue never runs";
}

TEST_F(JobsTest, WaitTimesOutAndReportsPending) {
    json started = start("sleep 5");
    json r = server_->ok("claude_wait", {{"jobIds", {started["jobId"]}}, {"timeoutSec", 0.2}});
    EXPECT_TRUE(r["timedOut"].get<bool>());
    EXPECT_EQ(r["pending"][0], started["jobId"]);
    server_->ok("claude_cancel", {{"jobId", started["jobId"]}, {"graceSec", 1}});
}

TEST_F(JobsTest, ListFiltersAndPages) {
    for (int i = 0; i < 5; ++i) start("say " + std::to_string(i), {{"label", i % 2 ? "odd" : "even"}});
    json failed = start("exit 2", {{"label", "odd"}});
    server_->wait_done(failed["jobId"]);
    json page1 = server_->ok("claude_jobs", {{"limit", 2}});
    ASSERT_EQ(page1["jobs"].size(), 2u);
    ASSERT_TRUE(page1.contains("nextCursor"));
    json page2 = server_->ok("claude_jobs", {{"limit", 10}, {"cursor", page1["nextCursor"]}});
    EXPECT_EQ(page2["jobs"].size(), 4u);
    EXPECT_NE(page1["jobs"][0]["jobId"], page2["jobs"][0]["jobId"]);
    json odd = server_->ok("claude_jobs", {{"label", "odd"}});
    EXPECT_EQ(odd["jobs"].size(), 3u);
    json only_failed = server_->ok("claude_jobs", {{"status", "failed"}});
    ASSERT_EQ(only_failed["jobs"].size(), 1u);
    EXPECT_EQ(only_failed["jobs"][0]["jobId"], failed["jobId"]);
    EXPECT_EQ(only_failed["counts"]["failed"], 1);
    json bad = server_->call("claude_jobs", {{"cursor", "../../etc"}});
    EXPECT_TRUE(bad["isError"].get<bool>());
}

TEST_F(JobsTest, HostileIdsAndFoldersAreRefused) {
    for (const char* id : {"../../etc/passwd", "a/b", ".hidden", "", "-rf", "x y", "a\nb"}) {
        json r = server_->call("claude_start", {{"prompt", "say x"}, {"jobId", id}, {"workFolder", work_.path()}});
        EXPECT_TRUE(r["isError"].get<bool>()) << id;
        json c = server_->call("claude_check", {{"jobId", id}});
        EXPECT_TRUE(c["isError"].get<bool>()) << id;
        EXPECT_EQ(c["structuredContent"]["error"]["code"], "not_found") << id;
    }
    for (const char* folder : {"relative/path", "/nonexistent/folder", "/etc/passwd"}) {
        json r = server_->call("claude_start", {{"prompt", "say x"}, {"workFolder", folder}});
        EXPECT_TRUE(r["isError"].get<bool>()) << folder;
        EXPECT_EQ(r["structuredContent"]["error"]["code"], "invalid_argument") << folder;
    }
    json r = server_->call("claude_start", {{"prompt", "say x"}, {"model", "--evil"}, {"workFolder", work_.path()}});
    EXPECT_TRUE(r["isError"].get<bool>());
    json typo = server_->call("claude_start", {{"prompt", "say x"}, {"workfolder", "/tmp"}});
    EXPECT_TRUE(typo["isError"].get<bool>());
    json dup_ok = start("say x", {{"jobId", "my-job.1"}});
    EXPECT_EQ(dup_ok["jobId"], "my-job.1");
    json dup = server_->call("claude_start", {{"prompt", "say x"}, {"jobId", "my-job.1"}, {"workFolder", work_.path()}});
    EXPECT_EQ(dup["structuredContent"]["error"]["code"], "already_exists");
}

TEST_F(JobsTest, AllowedWorkFoldersAreEnforced) {
    json config = default_config(state_.path());
    config["allowedWorkFolders"] = {work_.path()};
    start_server(config);
    std::filesystem::create_directories(work_.file("sub"));
    EXPECT_EQ(start("say x", {{"workFolder", work_.file("sub")}})["status"], "running");
    TempDir other("cj-other");
    json r = server_->call("claude_start", {{"prompt", "say x"}, {"workFolder", other.path()}});
    EXPECT_EQ(r["structuredContent"]["error"]["code"], "permission_denied");
    std::filesystem::create_symlink(other.path(), work_.file("escape"));
    json s = server_->call("claude_start", {{"prompt", "say x"}, {"workFolder", work_.file("escape")}});
    EXPECT_EQ(s["structuredContent"]["error"]["code"], "permission_denied")
        << "a symlink out of an allowed folder is resolved before the check";
}

// allowedWorkFolders hold for a queued job too: its folder, swapped for a symlink while it
// waits (a job already running there can do that), is checked again at launch, and the job
// fails saying why instead of running in the symlink's target.
TEST_F(JobsTest, AQueuedJobWhoseFolderBecameASymlinkNeverRunsOutside) {
    json config = default_config(state_.path());
    config["allowedWorkFolders"] = {work_.path()};
    config["maxConcurrentJobs"] = 1;
    start_server(config);
    std::filesystem::create_directories(work_.file("project"));
    json busy = start("sleep 60");
    json queued = start("touch marker\nsay ran", {{"workFolder", work_.file("project")}});
    ASSERT_EQ(queued["status"], "queued");
    TempDir outside("cj-outside");
    std::filesystem::rename(work_.file("project"), work_.file("project.old"));
    std::filesystem::create_directory_symlink(outside.path(), work_.file("project"));

    server_->ok("claude_cancel", {{"jobId", busy["jobId"]}, {"graceSec", 1}});
    json view = server_->wait_done(queued["jobId"]);
    EXPECT_EQ(view["status"], "failed");
    std::string reason = view["reason"];
    std::string real = std::filesystem::canonical(outside.path()).string();
    EXPECT_EQ(reason, "could not launch: workFolder " + real + " is outside allowedWorkFolders (" +
                          work_.path() + ")");
    EXPECT_FALSE(std::filesystem::exists(outside.file("marker"))) << "the job ran outside";
    EXPECT_FALSE(std::filesystem::exists(job_dir(queued["jobId"]) + "/events.jsonl"))
        << "claude never started";
}

TEST_F(JobsTest, RoutesAndBackendArgumentChooseTheInstance) {
    json config = default_config(state_.path());
    config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                          {"marked", {{"plugin", "local-detached"}, {"env", {{"MARK", "routed"}}}}}};
    std::filesystem::create_directories(work_.file("special"));
    config["routes"] = {{{"workFolder", work_.path() + "/special/**"}, {"backend", "marked"}}};
    start_server(config);
    std::string env1 = work_.file("env1.txt"), env2 = work_.file("env2.txt"), env3 = work_.file("env3.txt");
    json routed = start("env " + env1, {{"workFolder", work_.file("special")}});
    json plain = start("env " + env2);
    json chosen = start("env " + env3, {{"backend", "marked"}});
    EXPECT_EQ(routed["backend"], "marked");
    EXPECT_EQ(plain["backend"], "local");
    EXPECT_EQ(chosen["backend"], "marked");
    server_->ok("claude_wait", {{"jobIds", {routed["jobId"], plain["jobId"], chosen["jobId"]}},
                               {"mode", "all"}, {"timeoutSec", 30}});
    EXPECT_NE(read_text(env1).find("MARK=routed"), std::string::npos);
    EXPECT_EQ(read_text(env2).find("MARK=routed"), std::string::npos);
    EXPECT_NE(read_text(env3).find("MARK=routed"), std::string::npos);
    json unknown = server_->call("claude_start", {{"prompt", "x"}, {"backend", "nope"}, {"workFolder", work_.path()}});
    EXPECT_EQ(unknown["structuredContent"]["error"]["code"], "invalid_argument");
    EXPECT_NE(unknown["structuredContent"]["error"]["message"].get<std::string>().find("local, marked"),
              std::string::npos);
    json backends = server_->ok("claude_backends", json::object());
    EXPECT_EQ(backends["backends"].size(), 2u);
    EXPECT_TRUE(backends["backends"][0]["available"].get<bool>());
}

TEST_F(JobsTest, DepthLimitRefusesStarts) {
    server_.reset();
    server_ = std::make_unique<Server>(state_.path(), default_config(state_.path()),
                                       std::vector<std::string>{"CLAUDE_JOBS_DEPTH=2"});
    server_->initialize();
    json r = server_->call("claude_start", {{"prompt", "say x"}, {"workFolder", work_.path()}});
    EXPECT_EQ(r["structuredContent"]["error"]["code"], "limit_reached");
}

}  // namespace
}  // namespace cj::testing

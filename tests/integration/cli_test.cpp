// The command line for people, against jobs started through MCP in the same test: the
// server (over stdio) and each command (a separate short-lived process) share one state
// dir and config, as a person's terminal shares them with their MCP client.
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "cli_runner.h"
#include "harness.h"
#include "support/small_disk.h"
#include "support/text_files.h"

namespace cj::testing {
namespace {

namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
  protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(state_.path(), default_config(state_.path()));
        server_->initialize();
    }
    std::string config_path() const { return state_.path() + "/config.json"; }
    json start(const std::string& prompt, json extra = json::object()) {
        extra["prompt"] = prompt;
        if (!extra.contains("workFolder")) extra["workFolder"] = work_.path();
        return server_->ok("claude_start", extra);
    }
    std::string start_id(const std::string& prompt, json extra = json::object()) {
        return start(prompt, std::move(extra))["jobId"];
    }
    CliResult cli(std::vector<std::string> args, CliOptions options = {}) {
        args.insert(args.begin(), {"--config", config_path()});
        return run_cli(args, options);
    }
    std::string status_of(const std::string& id) {
        return server_->ok("claude_check", {{"jobId", id}, {"tailBytes", 0}})["status"];
    }

    TempDir state_{"cj-cli-state"};
    TempDir work_{"cj-cli-work"};
    std::unique_ptr<Server> server_;
};

TEST_F(CliTest, LsShowsJobsStartedThroughMcpWithFilters) {
    std::string done = start_id("say finished", {{"label", "alpha"}});
    server_->wait_done(done);
    std::string running = start_id("sleep 30", {{"label", "beta"}});

    CliResult ls = cli({"ls"});
    ASSERT_EQ(ls.status, 0) << ls.err;
    EXPECT_TRUE(has(ls.out, "ID") && has(ls.out, "STATUS") && has(ls.out, "PROMPT")) << ls.out;
    EXPECT_TRUE(has(ls.out, done) && has(ls.out, running)) << ls.out;
    EXPECT_TRUE(has(ls.out, "completed") && has(ls.out, "running")) << ls.out;
    EXPECT_TRUE(has(ls.out, "say finished")) << ls.out;
    EXPECT_FALSE(has(ls.out, "\x1b[")) << "no colour when stdout is not a terminal";

    CliResult asJson = cli({"ls", "--json"});
    ASSERT_EQ(asJson.status, 0) << asJson.err;
    json listed = json::parse(asJson.out);
    ASSERT_EQ(listed["jobs"].size(), 2u);
    EXPECT_EQ(listed["jobs"][0]["jobId"], running) << "newest first";
    std::map<std::string, int> seen;
    for (const auto& j : listed["jobs"]) ++seen[j["status"].get<std::string>()];
    for (const auto& [state, n] : listed["counts"].items())
        EXPECT_EQ(n.get<int>(), seen[state]) << state << ": the counts agree with the rows";

    CliResult byStatus = cli({"ls", "--status", "completed", "--json"});
    json completed = json::parse(byStatus.out);
    ASSERT_EQ(completed["jobs"].size(), 1u);
    EXPECT_EQ(completed["jobs"][0]["jobId"], done);

    CliResult byLabel = cli({"ls", "--label", "beta"});
    EXPECT_TRUE(has(byLabel.out, running));
    EXPECT_FALSE(has(byLabel.out, done));

    CliResult badStatus = cli({"ls", "--status", "sleeping"});
    EXPECT_EQ(badStatus.status, 2);
    EXPECT_TRUE(has(badStatus.err, "sleeping")) << badStatus.err;
    server_->ok("claude_cancel", {{"jobId", running}, {"graceSec", 1}});
}

TEST_F(CliTest, ShowPrintsTheJobViewAndJson) {
    std::string id = start_id("say the answer is 42", {{"label", "q"}});
    server_->wait_done(id);
    CliResult show = cli({"show", id});
    ASSERT_EQ(show.status, 0) << show.err;
    EXPECT_TRUE(has(show.out, id)) << show.out;
    EXPECT_TRUE(has(show.out, "completed")) << show.out;
    EXPECT_TRUE(has(show.out, "the answer is 42")) << show.out;
    EXPECT_TRUE(has(show.out, fs::canonical(work_.path()).string())) << show.out;

    CliResult asJson = cli({"show", id, "--json"});
    ASSERT_EQ(asJson.status, 0) << asJson.err;
    json view = json::parse(asJson.out);
    EXPECT_EQ(view["jobId"], id);
    EXPECT_EQ(view["status"], "completed");
    EXPECT_EQ(view["result"]["text"], "the answer is 42");
    EXPECT_EQ(view["label"], "q");

    CliResult unknown = cli({"show", "nosuchjob"});
    EXPECT_EQ(unknown.status, 1);
    EXPECT_TRUE(has(unknown.err, "no such job \"nosuchjob\"")) << unknown.err;
    EXPECT_TRUE(unknown.out.empty());
}

TEST_F(CliTest, LogsPrintsTranscriptRawEventsAndStderr) {
    std::string id = start_id("say alpha line\nstderr something odd\nsay beta line");
    server_->wait_done(id);
    CliResult logs = cli({"logs", id});
    ASSERT_EQ(logs.status, 0) << logs.err;
    EXPECT_TRUE(has(logs.out, "alpha line") && has(logs.out, "beta line")) << logs.out;
    EXPECT_FALSE(has(logs.out, "\"type\"")) << "readable, not raw JSON";
    EXPECT_LT(logs.out.find("alpha line"), logs.out.find("beta line"));

    CliResult raw = cli({"logs", id, "--raw"});
    ASSERT_EQ(raw.status, 0) << raw.err;
    EXPECT_EQ(raw.out, read_text(state_.path() + "/jobs/" + id + "/events.jsonl"));
    std::size_t lines = 0;
    std::istringstream in(raw.out);
    for (std::string line; std::getline(in, line); ++lines)
        EXPECT_TRUE(json::parse(line).contains("type")) << line;
    EXPECT_GE(lines, 3u);

    CliResult err = cli({"logs", id, "--stderr"});
    ASSERT_EQ(err.status, 0) << err.err;
    EXPECT_TRUE(has(err.out, "something odd")) << err.out;
}

TEST_F(CliTest, LogsFollowFollowsARunningJobToItsEnd) {
    std::string id = start_id("say first part\nsleep 3\nsay second part");
    CliProcess follow({"--config", config_path(), "logs", "-f", id});
    ASSERT_TRUE(wait_until([&] { return has(follow.out_so_far(), "first part"); }))
        << follow.out_so_far();
    // Printed the start while the job still runs, and keeps going.
    EXPECT_EQ(status_of(id), "running");
    EXPECT_TRUE(follow.running());
    EXPECT_FALSE(has(follow.out_so_far(), "second part"));
    CliResult result = follow.finish(std::chrono::seconds(30));
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_TRUE(has(result.out, "second part")) << result.out;
    EXPECT_TRUE(has(result.out, "[done")) << result.out;
    EXPECT_TRUE(has(result.err, "completed")) << result.err;
    EXPECT_EQ(status_of(id), "completed");
}

TEST_F(CliTest, LogsFollowOfAFailedJobExitsOne) {
    std::string id = start_id("say trying\nexit 4");
    CliResult result = cli({"logs", "--follow", id});
    EXPECT_EQ(result.status, 1);
    EXPECT_TRUE(has(result.err, "failed") && has(result.err, "exit code 4")) << result.err;
}

TEST_F(CliTest, StartRunsAJobFromTheShellWithClaudeStartOptions) {
    CliResult started =
        cli({"start", "--label", "from-shell", "--timeout", "600", "say", "hi", "shell"},
            CliOptions{{}, std::nullopt, work_.path()});
    ASSERT_EQ(started.status, 0) << started.err;
    std::string id = started.out.substr(0, started.out.find('\n'));
    ASSERT_EQ(started.out, id + "\n") << "only the id on stdout";
    EXPECT_TRUE(has(started.err, "running on backend local")) << started.err;
    json view = server_->wait_done(id);
    EXPECT_EQ(view["status"], "completed");
    EXPECT_EQ(view["result"]["text"], "hi shell");
    EXPECT_EQ(view["label"], "from-shell");
    EXPECT_EQ(view["workFolder"], fs::canonical(work_.path()).string()) << "the shell's folder";

    CliResult fromStdin = cli({"start", "--json", "-C", work_.path()},
                              CliOptions{{}, std::string("say read from stdin\n"), ""});
    ASSERT_EQ(fromStdin.status, 0) << fromStdin.err;
    json out = json::parse(fromStdin.out);
    EXPECT_EQ(server_->wait_done(out["jobId"])["result"]["text"], "read from stdin");

    CliResult again = cli({"start", "--idempotency-key", "k1", "-C", work_.path(), "say once"});
    CliResult twice = cli({"start", "--idempotency-key", "k1", "-C", work_.path(), "say once"});
    EXPECT_EQ(again.out, twice.out);
    EXPECT_TRUE(has(twice.err, "already started")) << twice.err;

    CliResult badFolder = cli({"start", "-C", "/nonexistent/folder", "say x"});
    EXPECT_EQ(badFolder.status, 2);
    EXPECT_TRUE(has(badFolder.err, "is not an existing folder")) << badFolder.err;
    CliResult badMode = cli({"start", "--permission-mode", "yolo", "say x"});
    EXPECT_EQ(badMode.status, 2);
    CliResult badModel = cli({"start", "-C", work_.path(), "--model=-x", "say x"});
    EXPECT_EQ(badModel.status, 2) << "the tool's own checks apply";
    EXPECT_TRUE(has(badModel.err, "model")) << badModel.err;
}

TEST_F(CliTest, WaitExitStatusTellsTheOutcome) {
    std::string ok = start_id("say fine");
    std::string bad = start_id("exit 3");
    CliResult waitOk = cli({"wait", ok});
    EXPECT_EQ(waitOk.status, 0) << waitOk.err;
    EXPECT_TRUE(has(waitOk.out, ok) && has(waitOk.out, "completed")) << waitOk.out;

    CliResult waitBoth = cli({"wait", ok, bad});
    EXPECT_EQ(waitBoth.status, 1) << waitBoth.err;
    EXPECT_TRUE(has(waitBoth.out, "exit code 3")) << waitBoth.out;

    std::string slow = start_id("sleep 30");
    auto before = std::chrono::steady_clock::now();
    CliResult timedOut = cli({"wait", slow, "--timeout", "0.5"});
    EXPECT_EQ(timedOut.status, 3) << timedOut.err;
    EXPECT_TRUE(has(timedOut.err, "timed out") && has(timedOut.err, slow)) << timedOut.err;
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));

    CliResult any = cli({"wait", "--any", slow, ok});
    EXPECT_EQ(any.status, 0) << any.err;
    EXPECT_TRUE(has(any.out, ok));

    // A wait that outlasts a job: the job ends while the CLI waits.
    std::string soon = start_id("sleep 1\nsay done now");
    CliResult blocking = cli({"wait", soon});
    EXPECT_EQ(blocking.status, 0) << blocking.err;
    EXPECT_EQ(status_of(soon), "completed");

    CliResult unknown = cli({"wait", "nosuchjob"});
    EXPECT_EQ(unknown.status, 1);
    EXPECT_TRUE(has(unknown.err, "no such job")) << unknown.err;
    EXPECT_EQ(cli({"wait"}).status, 2) << "ids are required";
    server_->ok("claude_cancel", {{"jobId", slow}, {"graceSec", 1}});
}

TEST_F(CliTest, WaitEndsOnInterruptButTheJobRuns) {
    std::string slow = start_id("sleep 30");
    CliProcess waiting({"--config", config_path(), "wait", slow});
    // Interrupt it once it catches SIGINT (its handler is in place: SigCgt has bit 2).
    ASSERT_TRUE(wait_until([&] {
        std::string status = read_text("/proc/" + std::to_string(waiting.pid()) + "/status");
        auto at = status.find("SigCgt:");
        if (at == std::string::npos) return false;
        unsigned long long mask = std::stoull(status.substr(at + 7), nullptr, 16);
        return (mask & (1ull << (SIGINT - 1))) != 0;
    }));
    ::kill(waiting.pid(), SIGINT);
    CliResult result = waiting.finish(std::chrono::seconds(10));
    EXPECT_EQ(result.status, 130) << "an exit of its own, not death by the signal; " << result.err;
    EXPECT_TRUE(has(result.err, "interrupted")) << result.err;
    EXPECT_EQ(status_of(slow), "running") << "ending the wait never ends the job";
    server_->ok("claude_cancel", {{"jobId", slow}, {"graceSec", 1}});
}

TEST_F(CliTest, CancelStopsARunningJob) {
    std::string id = start_id("sleep 30");
    CliResult cancel = cli({"cancel", id, "--grace", "2"});
    ASSERT_EQ(cancel.status, 0) << cancel.err;
    EXPECT_TRUE(has(cancel.out, id) && has(cancel.out, "cancelled")) << cancel.out;
    EXPECT_EQ(status_of(id), "cancelled");
    CliResult again = cli({"cancel", id});
    EXPECT_EQ(again.status, 0);
    EXPECT_TRUE(has(again.err, "already ended")) << again.err;
    EXPECT_EQ(cli({"cancel", "nosuchjob"}).status, 1);
}

TEST_F(CliTest, AttachToALocalJobFollowsItsTranscript) {
    std::string id = start_id("say attached start\nsleep 1\nsay attached end");
    CliResult attach = cli({"attach", id});
    EXPECT_EQ(attach.status, 0) << attach.err;
    EXPECT_TRUE(has(attach.out, "attached start") && has(attach.out, "attached end")) << attach.out;
    EXPECT_EQ(status_of(id), "completed");
}

TEST_F(CliTest, GcRemovesJobsPastRetention) {
    std::string old = start_id("say old");
    server_->wait_done(old);
    std::string recent = start_id("say recent");
    server_->wait_done(recent);
    // Age the first job's end by 30 days, as if it had ended long ago.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((state_.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    std::string sql =
        "UPDATE jobs SET ended_at = ended_at - 30*86400*1000 WHERE id = '" + old + "'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    CliResult gc = cli({"gc"});
    ASSERT_EQ(gc.status, 0) << gc.err;
    EXPECT_TRUE(has(gc.out, "removed 1 job")) << gc.out;
    EXPECT_FALSE(fs::exists(state_.path() + "/jobs/" + old));
    EXPECT_TRUE(fs::exists(state_.path() + "/jobs/" + recent));
    json listed = server_->ok("claude_jobs", json::object());
    ASSERT_EQ(listed["jobs"].size(), 1u);
    EXPECT_EQ(listed["jobs"][0]["jobId"], recent);
    CliResult twice = cli({"gc", "--json"});
    EXPECT_EQ(json::parse(twice.out)["removed"], 0);
}

TEST_F(CliTest, BackendsListsBackendsAndModules) {
    CliResult backends = cli({"backends"});
    ASSERT_EQ(backends.status, 0) << backends.err;
    EXPECT_TRUE(has(backends.out, "local-detached") && has(backends.out, "available"))
        << backends.out;
    json report = json::parse(cli({"backends", "--json"}).out);
    ASSERT_FALSE(report["backends"].empty());
    EXPECT_EQ(report["backends"][0]["name"], "local");
    EXPECT_TRUE(report["backends"][0]["available"].get<bool>());
}

TEST_F(CliTest, SelftestVersionAndHelpForEverySubcommand) {
    CliResult selftest = cli({"selftest"});
    EXPECT_EQ(selftest.status, 0) << selftest.out << selftest.err;
    CliResult flag = run_cli({"--selftest", "--plumbing-only"});
    EXPECT_EQ(flag.status, 0) << flag.out << flag.err;
    CliResult version = run_cli({"--version"});
    EXPECT_EQ(version.status, 0);
    EXPECT_EQ(version.out.rfind("claude-jobs ", 0), 0u) << version.out;
    CliResult help = run_cli({"--help"});
    EXPECT_EQ(help.status, 0);
    for (const char* sub : {"ls", "show", "logs", "start", "wait", "cancel", "attach", "gc",
                            "backends", "doctor", "register", "selftest"}) {
        EXPECT_TRUE(has(help.out, sub)) << sub;
        CliResult subHelp = run_cli({sub, "--help"});
        EXPECT_EQ(subHelp.status, 0) << sub;
        EXPECT_TRUE(has(subHelp.out, std::string("Usage: claude-jobs ") + sub)) << subHelp.out;
    }
    CliResult unknown = run_cli({"frobnicate"});
    EXPECT_EQ(unknown.status, 2);
    CliResult badFlag = run_cli({"ls", "--no-such-flag"});
    EXPECT_EQ(badFlag.status, 2);
}

TEST_F(CliTest, UsageErrorsArePrefixedWithAHintAndAClosestWord) {
    CliResult typo = run_cli({"shwo", "x"});
    EXPECT_EQ(typo.status, 2);
    EXPECT_EQ(typo.err.rfind("claude-jobs: ", 0), 0u) << typo.err;
    EXPECT_TRUE(has(typo.err, "unknown command \"shwo\" (did you mean \"show\"?)")) << typo.err;
    EXPECT_TRUE(has(typo.err, "claude-jobs --help shows the usage")) << typo.err;
    CliResult option = run_cli({"ls", "--stauts", "running"});
    EXPECT_EQ(option.status, 2);
    EXPECT_EQ(option.err.rfind("claude-jobs: ", 0), 0u) << option.err;
    EXPECT_TRUE(has(option.err, "unexpected \"--stauts\" (did you mean \"--status\"?)"))
        << option.err;
    EXPECT_TRUE(has(option.err, "claude-jobs ls --help")) << option.err;
    CliResult missing = run_cli({"show"});
    EXPECT_EQ(missing.status, 2);
    EXPECT_TRUE(has(missing.err, "claude-jobs: ") && has(missing.err, "claude-jobs show --help"))
        << missing.err;
}

TEST_F(CliTest, IdsMayBeShortenedWhileTheyNameOneJob) {
    for (const char* id : {"alpha-one", "alpha-two", "beta-one"})
        server_->wait_done(start_id("say " + std::string(id), {{"jobId", id}}));
    CliResult shown = cli({"show", "be", "--json"});
    ASSERT_EQ(shown.status, 0) << shown.err;
    EXPECT_EQ(json::parse(shown.out)["jobId"], "beta-one");
    CliResult logs = cli({"logs", "alpha-t"});
    EXPECT_EQ(logs.status, 0) << logs.err;
    EXPECT_TRUE(has(logs.out, "alpha-two")) << logs.out;
    CliResult waited = cli({"wait", "alpha-o", "b"});
    EXPECT_EQ(waited.status, 0) << waited.err;

    CliResult ambiguous = cli({"show", "alpha"});
    EXPECT_EQ(ambiguous.status, 2);
    EXPECT_TRUE(has(ambiguous.err, "claude-jobs: job id \"alpha\" is ambiguous: 2 jobs start "
                                   "with it (alpha-two, alpha-one)"))
        << ambiguous.err;
    CliResult typo = cli({"cancel", "beta-eno"});
    EXPECT_EQ(typo.status, 1);
    EXPECT_TRUE(has(typo.err, "no such job \"beta-eno\" (did you mean \"beta-one\"?)")) << typo.err;
}

TEST_F(CliTest, RelativeWorkFolderIsTheShellsFolderJoined) {
    fs::create_directories(work_.path() + "/sub/dir");
    CliResult started = cli({"start", "-C", "sub/dir", "say here"}, CliOptions{{}, std::nullopt, work_.path()});
    ASSERT_EQ(started.status, 0) << started.err;
    std::string id = started.out.substr(0, started.out.find('\n'));
    json view = server_->wait_done(id);
    EXPECT_EQ(view["workFolder"], fs::canonical(work_.path() + "/sub/dir").string());
}

// --- doctor -------------------------------------------------------------------------------

TEST_F(CliTest, DoctorPassesOnAWorkingSetup) {
    CliResult doctor = cli({"doctor"});
    EXPECT_EQ(doctor.status, 0) << doctor.out << doctor.err;
    for (const char* check :
         {"config", "claude", "state dir", "job index", "module local-detached", "backend local"})
        EXPECT_TRUE(has(doctor.out, check)) << check << "\n" << doctor.out;
    EXPECT_TRUE(has(doctor.out, "all checks passed")) << doctor.out;
    json asJson = json::parse(cli({"doctor", "--json"}).out);
    EXPECT_TRUE(asJson["ok"].get<bool>());
}

// The loader's view: every plugin folder searched and every module found, refused ones
// with the reason and both ABI versions; a refused module is a warning, not a failure.
TEST_F(CliTest, DoctorListsPluginFoldersAndRefusedModules) {
    json config = default_config(state_.path());
    std::string missing = state_.path() + "/no-such-folder";
    config["pluginDirs"] = {TEST_PLUGIN_DIR, missing};
    std::string path = work_.write("plugins.json", config.dump());
    CliResult doctor = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(doctor.status, 0) << doctor.out;
    // The line of the check whose name contains `name`.
    auto line_of = [&](const std::string& name) {
        std::istringstream in(doctor.out);
        for (std::string l; std::getline(in, l);)
            if (l.size() > 6 && l.compare(6, name.size(), name) == 0) return l;
        return std::string();
    };
    std::string folder = line_of(std::string("plugin folder ") + TEST_PLUGIN_DIR);
    EXPECT_EQ(folder.rfind("ok", 0), 0u) << doctor.out;
    EXPECT_TRUE(has(folder, "8 module(s)")) << doctor.out;
    EXPECT_EQ(line_of("plugin folder " + missing).rfind("warn", 0), 0u) << doctor.out;
    std::string major = line_of(std::string("module ") + TEST_PLUGIN_DIR + "/abi_major2.so");
    EXPECT_EQ(major.rfind("warn", 0), 0u) << doctor.out;
    EXPECT_TRUE(has(major, "refused")) << doctor.out;
    EXPECT_TRUE(has(major, "ABI 2.0, this claude-jobs speaks 1.0")) << doctor.out;
    EXPECT_TRUE(has(line_of("module abi-newer-minor"), "ABI 1.1, newer than the 1.0")) << doctor.out;
}

// A backend whose module is missing: its line says why once, not the reason inside another
// sentence that says it again.
TEST_F(CliTest, DoctorSaysWhyABackendIsUnusableOnce) {
    json config = default_config(state_.path());
    config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                          {"gone", {{"plugin", "no-such-module"}}}};
    std::string path = work_.write("gone.json", config.dump());
    CliResult doctor = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(doctor.status, 1) << doctor.out;
    std::string line;
    std::istringstream in(doctor.out);
    for (std::string l; std::getline(in, l);)
        if (has(l, "backend gone:")) line = l;
    EXPECT_EQ(line.rfind("FAIL", 0), 0u) << doctor.out;
    EXPECT_TRUE(has(line, "no backend module named \"no-such-module\" is loaded")) << line;
    EXPECT_EQ(line.find("backend \"gone\""), std::string::npos) << line;
    EXPECT_EQ(line.find("no-such-module"), line.rfind("no-such-module")) << line;
}

// The state dir's filesystem: a small one is a warning, a full one a failure, each with the
// fix (a tmpfs of the test's own; root only).
TEST_F(CliTest, DoctorWarnsWhenTheStateDirsDiskIsLowAndFailsWhenItIsFull) {
    SmallDisk disk(8);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    json config = default_config(disk.path() + "/state");
    std::string path = work_.write("small-disk.json", config.dump());
    auto line_of = [](const std::string& out, const std::string& name) {
        std::istringstream in(out);
        for (std::string l; std::getline(in, l);)
            if (l.size() > 6 && l.compare(6, name.size(), name) == 0) return l;
        return std::string();
    };
    CliResult low = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(low.status, 0) << low.out;
    std::string line = line_of(low.out, "disk space");
    EXPECT_EQ(line.rfind("warn", 0), 0u) << low.out;
    EXPECT_TRUE(has(line, "MiB free of 8.0 MiB where the state dir is (" + disk.path())) << low.out;
    EXPECT_TRUE(has(low.out, "no space left on device")) << low.out;

    ASSERT_TRUE(disk.fill());
    CliResult full = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(full.status, 1) << full.out;
    EXPECT_EQ(line_of(full.out, "disk space").rfind("FAIL", 0), 0u) << full.out;
    EXPECT_TRUE(has(full.out, "their ends cannot be recorded")) << full.out;
    EXPECT_TRUE(has(full.out, "set stateDir to a folder on a disk with room")) << full.out;
}

TEST_F(CliTest, DoctorNamesABrokenConfigKeyByItsPath) {
    json config = default_config(state_.path());
    config["claude"]["extraArg"] = json::array();
    std::string path = work_.write("broken.json", config.dump());
    CliResult doctor = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(doctor.status, 1) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "FAIL  config")) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "claude.extraArg")) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "unknown key")) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "fix:")) << doctor.out;
    // Other commands refuse the same config with the same message.
    CliResult ls = run_cli({"--config", path, "ls"});
    EXPECT_EQ(ls.status, 1);
    EXPECT_TRUE(has(ls.err, "claude.extraArg")) << ls.err;
}

TEST_F(CliTest, DoctorNamesAMissingTmux) {
    json config = default_config(state_.path());
    config["backends"] = {{"local", {{"plugin", "local-detached"}}},
                          {"watch", {{"plugin", "tmux"}}}};
    std::string path = work_.write("tmux.json", config.dump());
    TempDir emptyBin("cj-nobin");  // a PATH on which there is no tmux (nor anything else)
    CliResult doctor = run_cli({"--config", path, "doctor"},
                               CliOptions{{{"PATH", emptyBin.path()}}, std::nullopt, ""});
    EXPECT_EQ(doctor.status, 1) << doctor.out;
    std::string line;
    std::istringstream in(doctor.out);
    for (std::string l; std::getline(in, l);)
        if (has(l, "backend watch")) line = l;
    ASSERT_FALSE(line.empty()) << doctor.out;
    EXPECT_EQ(line.rfind("FAIL", 0), 0u) << line;
    EXPECT_TRUE(has(line, "tmux not found on PATH")) << line;
    EXPECT_TRUE(has(line, "apt-get install tmux")) << line;
    EXPECT_TRUE(has(doctor.out, "backend local: plugin local-detached, usable")) << doctor.out;
}

TEST_F(CliTest, DoctorFailsOnAStateDirOthersCanRead) {
    ASSERT_EQ(::chmod(state_.path().c_str(), 0755), 0);
    CliResult doctor = cli({"doctor"});
    EXPECT_EQ(doctor.status, 1) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "FAIL  state dir")) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "chmod 700 " + state_.path())) << doctor.out;
}

TEST_F(CliTest, DoctorFailsWhenClaudeIsMissing) {
    json config = default_config(state_.path());
    config["claude"]["path"] = "/nonexistent/claude";
    std::string path = work_.write("noclaude.json", config.dump());
    CliResult doctor = run_cli({"--config", path, "doctor"});
    EXPECT_EQ(doctor.status, 1);
    EXPECT_TRUE(has(doctor.out, "FAIL  claude")) << doctor.out;
    EXPECT_TRUE(has(doctor.out, "npm install -g @anthropic-ai/claude-code")) << doctor.out;
}

TEST_F(CliTest, StartAndSelftestRefuseWhenClaudeCannotRun) {
    json config = default_config(state_.path());
    config["claude"]["path"] = "claude-not-installed";
    std::string path = work_.write("noclaude.json", config.dump());
    CliResult started = run_cli({"--config", path, "start", "-C", work_.path(), "say hi"});
    EXPECT_EQ(started.status, 1) << started.err;
    EXPECT_TRUE(started.out.empty()) << started.out;
    EXPECT_TRUE(has(started.err, "claude-jobs: cannot run claude: \"claude-not-installed\" is "
                                 "not found on PATH")) << started.err;
    EXPECT_TRUE(has(started.err, "claude.path")) << started.err;

    CliResult selftest = run_cli({"--config", path, "selftest"});
    EXPECT_EQ(selftest.status, 1) << selftest.out;
    EXPECT_TRUE(has(selftest.out, "FAIL claude usable")) << selftest.out;
    EXPECT_TRUE(has(selftest.out, "--plumbing-only")) << selftest.out;
    EXPECT_TRUE(has(selftest.out, "selftest FAILED")) << selftest.out;
    CliResult plumbing = run_cli({"--config", path, "selftest", "--plumbing-only"});
    EXPECT_EQ(plumbing.status, 0) << plumbing.out;
    EXPECT_TRUE(has(plumbing.out, "not required (--plumbing-only)")) << plumbing.out;
}

// --- register -----------------------------------------------------------------------------

class RegisterTest : public ::testing::Test {
  protected:
    CliResult reg(std::vector<std::string> args,
                  std::map<std::string, std::optional<std::string>> env = {}) {
        env["HOME"] = home_.path();
        env["XDG_CONFIG_HOME"] = std::nullopt;
        env["CLAUDE_CONFIG_DIR"] = std::nullopt;
        if (!env.count("PATH")) env["PATH"] = noBin_.path();  // no claude unless a test puts one
        args.insert(args.begin(), {"--config", config_});
        args.insert(args.begin() + 2, "register");
        return run_cli(args, CliOptions{env, std::nullopt, project_.path()});
    }
    TempDir home_{"cj-home"};
    TempDir project_{"cj-project"};
    TempDir noBin_{"cj-nobin"};
    std::string config_ = home_.write("cj/config.json", "{}");
};

TEST_F(RegisterTest, ClaudeDesktopMergesKeepingEveryOtherEntry) {
    std::string existing = R"({
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
    "other": {"command": "/usr/bin/other", "env": {"TOKEN": "abc"}}
  },
  "preferences": {"theme": "dark", "nested": [1, 2, 3]}
})";
    std::string file = home_.write(".config/Claude/claude_desktop_config.json", existing);
    ::chmod(file.c_str(), 0640);
    CliResult first = reg({"--client", "claude-desktop"});
    ASSERT_EQ(first.status, 0) << first.err;
    EXPECT_TRUE(has(first.out, "added claude-jobs in " + file)) << first.out;

    json merged = json::parse(read_text(file));
    json before = json::parse(existing);
    EXPECT_EQ(merged["globalShortcut"], before["globalShortcut"]);
    EXPECT_EQ(merged["preferences"], before["preferences"]);
    EXPECT_EQ(merged["mcpServers"]["filesystem"], before["mcpServers"]["filesystem"]);
    EXPECT_EQ(merged["mcpServers"]["other"], before["mcpServers"]["other"]);
    EXPECT_EQ(merged["mcpServers"].size(), 3u);
    EXPECT_EQ(merged["mcpServers"]["claude-jobs"]["command"], bin_path("claude-jobs"));
    EXPECT_EQ(merged["mcpServers"]["claude-jobs"]["args"], json::array({"--config", config_}));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "the file keeps its mode";

    // The backup holds the original, byte for byte.
    std::vector<fs::path> backups;
    for (const auto& e : fs::directory_iterator(fs::path(file).parent_path()))
        if (has(e.path().filename().string(), ".bak-")) backups.push_back(e.path());
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_EQ(read_text(backups[0].string()), existing);

    // Idempotent: a second run changes nothing and says so.
    std::string after = read_text(file);
    CliResult second = reg({"--client", "claude-desktop"});
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_TRUE(has(second.out, "no change")) << second.out;
    EXPECT_EQ(read_text(file), after);
    std::size_t count = 0;
    for (const auto& e : fs::directory_iterator(fs::path(file).parent_path()))
        count += has(e.path().filename().string(), ".bak-");
    EXPECT_EQ(count, 1u);
}

TEST_F(RegisterTest, EntryCarriesClaudesPathAndThePathTheServerNeeds) {
    TempDir bin("cj-claudebin");
    std::string claude = bin.write("claude", "#!/bin/sh\n");
    ::chmod(claude.c_str(), 0755);
    std::string path = bin.path() + ":/usr/bin:/bin";
    CliResult r = reg({"--client", "claude-desktop"}, {{"PATH", path}});
    ASSERT_EQ(r.status, 0) << r.err;
    json file = json::parse(read_text(home_.path() + "/.config/Claude/claude_desktop_config.json"));
    json env = file["mcpServers"]["claude-jobs"]["env"];
    EXPECT_EQ(env["CLAUDE_CLI_PATH"], claude) << env.dump();
    EXPECT_EQ(env["PATH"], path) << env.dump();

    CliResult none = reg({"--client", "claude-code", "--config-file", home_.file("code.json")});
    ASSERT_EQ(none.status, 0) << none.err;
    EXPECT_TRUE(has(none.err, "warning: cannot run claude")) << none.err;
    json code = json::parse(read_text(home_.file("code.json")))["mcpServers"]["claude-jobs"];
    EXPECT_FALSE(code["env"].contains("CLAUDE_CLI_PATH")) << code.dump();
    EXPECT_EQ(code["env"]["PATH"], noBin_.path()) << code.dump();
}

TEST_F(RegisterTest, ClaudeDesktopDryRunAndNewFileAndBrokenFile) {
    std::string file = home_.path() + "/.config/Claude/claude_desktop_config.json";
    CliResult dry = reg({"--client", "claude-desktop", "--dry-run"});
    ASSERT_EQ(dry.status, 0) << dry.err;
    EXPECT_TRUE(has(dry.out, "would add")) << dry.out;
    EXPECT_FALSE(fs::exists(file));
    CliResult created = reg({"--client", "claude-desktop"});
    ASSERT_EQ(created.status, 0) << created.err;
    EXPECT_EQ(json::parse(read_text(file))["mcpServers"]["claude-jobs"]["command"],
              bin_path("claude-jobs"));

    write_text(file, "{ not json");
    CliResult broken = reg({"--client", "claude-desktop"});
    EXPECT_EQ(broken.status, 1);
    EXPECT_TRUE(has(broken.err, "not valid JSON")) << broken.err;
    EXPECT_EQ(read_text(file), "{ not json") << "a file it cannot read is left alone";

    std::string other = home_.path() + "/elsewhere.json";
    CliResult override = reg({"--client", "claude-desktop", "--config-file", other});
    ASSERT_EQ(override.status, 0) << override.err;
    EXPECT_TRUE(json::parse(read_text(other))["mcpServers"].contains("claude-jobs"));
}

TEST_F(RegisterTest, ClaudeCodeRunsClaudeMcpAddWhenClaudeIsThere) {
    TempDir bin("cj-fakebin");
    std::string record = bin.file("argv.txt");
    std::string script =
        bin.write("claude", "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '" + record + "'\n");
    ::chmod(script.c_str(), 0755);
    CliResult r = reg({"--client", "claude-code"}, {{"PATH", bin.path()}});
    ASSERT_EQ(r.status, 0) << r.err;
    std::string expected = "mcp\nadd\n--scope\nuser\nclaude-jobs\n-e\nCLAUDE_CLI_PATH=" + script +
                           "\n-e\nPATH=" + bin.path() + "\n--\n" + bin_path("claude-jobs") +
                           "\n--config\n" + config_ + "\n";
    EXPECT_EQ(read_text(record), expected);

    ::unlink(record.c_str());
    CliResult project =
        reg({"--client", "claude-code", "--scope", "project"}, {{"PATH", bin.path()}});
    ASSERT_EQ(project.status, 0) << project.err;
    EXPECT_TRUE(has(read_text(record), "--scope\nproject\n")) << read_text(record);
}

TEST_F(RegisterTest, ClaudeCodeWithoutClaudeWritesItsConfigFiles) {
    std::string user =
        home_.write(".claude.json",
                    R"({"numStartups": 7, "mcpServers": {"x": {"command": "y"}}, "projects": {}})");
    CliResult r = reg({"--client", "claude-code"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(has(r.err, "claude not found")) << r.err;
    json merged = json::parse(read_text(user));
    EXPECT_EQ(merged["numStartups"], 7);
    EXPECT_EQ(merged["mcpServers"]["x"]["command"], "y");
    EXPECT_EQ(merged["mcpServers"]["claude-jobs"]["type"], "stdio");
    EXPECT_EQ(merged["mcpServers"]["claude-jobs"]["command"], bin_path("claude-jobs"));
    CliResult again = reg({"--client", "claude-code"});
    EXPECT_TRUE(has(again.out, "no change")) << again.out;

    CliResult project = reg({"--client", "claude-code", "--scope", "project"});
    ASSERT_EQ(project.status, 0) << project.err;
    json mcp = json::parse(read_text(project_.path() + "/.mcp.json"));
    EXPECT_EQ(mcp["mcpServers"]["claude-jobs"]["command"], bin_path("claude-jobs"));
    EXPECT_EQ(reg({"--client", "vscode"}).status, 2);
}

// The real Claude Code CLI (installed for the end-to-end tests) accepts what register runs,
// and records the server where Claude Code reads it.
TEST_F(RegisterTest, ClaudeCodeWithTheRealClaudeCli) {
    std::string real = std::string(E2E_NODE_MODULES) + "/.bin/claude";
    if (::access(real.c_str(), X_OK) != 0)
        GTEST_SKIP() << "the Claude Code CLI is not installed at " << real
                     << " (tests/e2e/setup.sh installs it; scripts/test.sh runs that first)";
    TempDir bin("cj-realbin");
    ASSERT_EQ(::symlink(real.c_str(), bin.file("claude").c_str()), 0);
    std::map<std::string, std::optional<std::string>> env = {
        {"PATH", bin.path() + ":/usr/local/bin:/usr/bin:/bin"},
        {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"}};
    CliResult first = reg({"--client", "claude-code"}, env);
    ASSERT_EQ(first.status, 0) << first.out << first.err;
    EXPECT_TRUE(has(first.out, "through " + bin.file("claude"))) << first.out;
    json file = json::parse(read_text(home_.path() + "/.claude.json"));
    ASSERT_TRUE(file["mcpServers"].contains("claude-jobs")) << file.dump(2);
    EXPECT_EQ(file["mcpServers"]["claude-jobs"]["command"], bin_path("claude-jobs"));
    EXPECT_EQ(file["mcpServers"]["claude-jobs"]["args"], json::array({"--config", config_}));
    EXPECT_EQ(file["mcpServers"]["claude-jobs"]["env"]["PATH"], env["PATH"].value());
    EXPECT_EQ(file["mcpServers"]["claude-jobs"]["env"]["CLAUDE_CLI_PATH"], bin.file("claude"));

    CliResult second = reg({"--client", "claude-code"}, env);
    ASSERT_EQ(second.status, 0) << second.out << second.err;
    EXPECT_TRUE(has(second.out, "no change")) << second.out;
}

}  // namespace
}  // namespace cj::testing

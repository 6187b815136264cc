// Being told when a job ends (docs/notifications.md), against the built binaries: the
// events stream (every transition once, in order, for every kind of end; owner and job
// filters; a reader that goes away; a missing state dir), the Stop hook's hook-wait (wakes
// its own session once per end, not another session, not for an end already read; bad input
// is a quiet 0), channel notifications (only to the connection that started the job, once),
// claude_start's waitSec and notify.command, and register --hooks.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli_runner.h"
#include "harness.h"
#include "support/text_files.h"

extern char** environ;

namespace cj::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) break;  // a line still being written
        out.push_back(json::parse(text.substr(start, end - start)));
        start = end + 1;
    }
    return out;
}

class NotifyTest : public ::testing::Test {
  protected:
    std::unique_ptr<Server> server(const std::string& session, json config = nullptr) {
        if (config.is_null()) config = default_config(state_.path());
        std::vector<std::string> env;
        if (!session.empty()) env.push_back("CLAUDE_CODE_SESSION_ID=" + session);
        auto s = std::make_unique<Server>(state_.path(), config, env);
        s->initialize();
        return s;
    }
    json start(Server& s, const std::string& prompt, json extra = json::object()) {
        extra["prompt"] = prompt;
        extra["workFolder"] = work_.path();
        return s.ok("claude_start", extra);
    }
    std::vector<std::string> cli_args(std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", state_.path() + "/config.json"});
        return args;
    }
    CliResult hook_wait(const std::string& input, double maxWait,
                        std::chrono::milliseconds limit = 30s) {
        return run_cli(cli_args({"hook-wait", "--max-wait", std::to_string(maxWait)}),
                       CliOptions{{}, input, ""}, limit);
    }
    static std::string hook_input(const std::string& session, bool active = false) {
        return json{{"session_id", session},
                    {"hook_event_name", "Stop"},
                    {"stop_hook_active", active},
                    {"cwd", "/tmp"},
                    {"transcript_path", "/tmp/t.jsonl"}}
            .dump();
    }

    TempDir state_{"cj-notify-state"};
    TempDir work_{"cj-notify-work"};
};

// --- events --------------------------------------------------------------------------------

TEST_F(NotifyTest, EventsFollowPrintsEveryEndOnceInOrder) {
    auto s = server("");
    s->wait_done(start(*s, "say warm up")["jobId"]);  // before the follower
    CliProcess follow(cli_args({"events", "--follow", "--json"}));
    std::this_thread::sleep_for(1500ms);  // the follower reads from "now"

    std::map<std::string, std::string> expected;
    expected[start(*s, "say all good")["jobId"]] = "completed";
    expected[start(*s, "exit 3")["jobId"]] = "failed";
    std::string cancelled = start(*s, "sleep 30")["jobId"];
    expected[cancelled] = "cancelled";
    expected[start(*s, "sleep 30", {{"timeoutSec", 1}})["jobId"]] = "timed_out";
    std::string orphan = start(*s, "sleep 30")["jobId"];
    expected[orphan] = "orphaned";
    s->ok("claude_cancel", {{"jobId", cancelled}, {"graceSec", 1}});
    ::kill(runner_info(state_.path(), orphan)["runnerPid"].get<pid_t>(), SIGKILL);

    auto ended = [&] {
        std::size_t n = 0;
        for (const auto& line : json_lines(follow.out_so_far())) n += line["terminal"].get<bool>();
        return n >= expected.size();
    };
    ASSERT_TRUE(wait_until(ended, 60s)) << follow.out_so_far();
    std::this_thread::sleep_for(500ms);  // nothing more may come
    auto lines = json_lines(follow.out_so_far());
    std::map<std::string, std::vector<std::string>> byJob;
    std::int64_t lastSeq = 0;
    for (const auto& line : lines) {
        EXPECT_GT(line["seq"].get<std::int64_t>(), lastSeq) << "in order";
        lastSeq = line["seq"];
        byJob[line["jobId"]].push_back(line["to"]);
    }
    for (const auto& [id, state] : expected) {
        ASSERT_TRUE(byJob.count(id)) << id;
        EXPECT_TRUE(byJob[id].front() == "running" || byJob[id].front() == "queued")
            << id << ": its first state first";
        EXPECT_EQ(byJob[id].back(), state) << id;
        EXPECT_EQ(std::count(byJob[id].begin(), byJob[id].end(), state), 1) << id << ": once";
    }
    ::kill(follow.pid(), SIGTERM);
    EXPECT_EQ(follow.finish(10s).status, 0);
}

TEST_F(NotifyTest, EventsTextLinesAndOwnerAndJobFilters) {
    auto mine = server("session-a");
    auto theirs = server("session-b");
    std::string a = start(*mine, "say a", {{"label", "mine"}})["jobId"];
    std::string b = start(*theirs, "say b")["jobId"];
    mine->wait_done(a);
    theirs->wait_done(b);

    CliResult all = run_cli(cli_args({"events"}));
    ASSERT_EQ(all.status, 0) << all.err;
    EXPECT_TRUE(has(all.out, a) && has(all.out, b)) << all.out;
    EXPECT_TRUE(has(all.out, "job " + a + " (mine): running → completed — completed: exit code 0"))
        << all.out;

    CliOptions asA{{{"CLAUDE_CODE_SESSION_ID", "session-a"}}, std::nullopt, ""};
    CliResult onlyMine = run_cli(cli_args({"events", "--owner", "mine"}), asA);
    ASSERT_EQ(onlyMine.status, 0) << onlyMine.err;
    EXPECT_TRUE(has(onlyMine.out, a) && !has(onlyMine.out, b)) << onlyMine.out;
    CliResult byId = run_cli(cli_args({"events", "--owner", "session-b"}));
    EXPECT_TRUE(has(byId.out, b) && !has(byId.out, a)) << byId.out;
    CliResult oneJob = run_cli(cli_args({"events", "--job", b, "--json"}));
    for (const auto& line : json_lines(oneJob.out)) EXPECT_EQ(line["jobId"], b);

    CliOptions noSession{{{"CLAUDE_CODE_SESSION_ID", std::nullopt}}, std::nullopt, ""};
    CliResult unknown = run_cli(cli_args({"events", "--owner", "mine"}), noSession);
    EXPECT_EQ(unknown.status, 2);
    EXPECT_TRUE(has(unknown.err, "CLAUDE_CODE_SESSION_ID")) << unknown.err;
}

TEST_F(NotifyTest, JobsAndLsFilterByOwner) {
    auto a = server("session-a");
    auto b = server("session-b");
    std::string ofA = start(*a, "say a")["jobId"];
    std::string ofB = start(*b, "say b")["jobId"];
    auto ids = [](const json& listed) {
        std::set<std::string> out;
        for (const auto& j : listed["jobs"]) out.insert(j["jobId"].get<std::string>());
        return out;
    };
    EXPECT_EQ(ids(a->ok("claude_jobs", {{"owner", "mine"}})), std::set<std::string>{ofA});
    EXPECT_EQ(ids(b->ok("claude_jobs", {{"owner", "mine"}})), std::set<std::string>{ofB});
    EXPECT_EQ(ids(a->ok("claude_jobs", json::object())).size(), 2u);
    // One listing's counts: two listings could see the job before and after its end.
    json counts = a->ok("claude_jobs", {{"owner", "mine"}})["counts"];
    EXPECT_EQ(counts.value("running", 0) + counts.value("completed", 0), 1) << counts.dump();
    CliOptions asB{{{"CLAUDE_CODE_SESSION_ID", "session-b"}}, std::nullopt, ""};
    CliResult ls = run_cli(cli_args({"ls", "--owner", "mine", "--json"}), asB);
    ASSERT_EQ(ls.status, 0) << ls.err;
    EXPECT_EQ(ids(json::parse(ls.out)), std::set<std::string>{ofB});
    CliOptions none{{{"CLAUDE_CODE_SESSION_ID", std::nullopt}}, std::nullopt, ""};
    EXPECT_EQ(run_cli(cli_args({"ls", "--owner", "mine"}), none).status, 2);
}

TEST_F(NotifyTest, EventsOnAMissingStateDirSaysSo) {
    TempDir empty("cj-notify-empty");
    std::string config =
        empty.write("config.json", json{{"stateDir", empty.path() + "/nothing-here"}}.dump());
    CliResult r = run_cli({"--config", config, "events", "--follow"}, {}, 10s);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(has(r.err, "no job index in the state dir " + empty.path() + "/nothing-here"))
        << r.err;
    EXPECT_FALSE(fs::exists(empty.path() + "/nothing-here")) << "nothing is created";
}

TEST_F(NotifyTest, EventsFollowExitsWhenItsReaderGoesAway) {
    auto s = server("");
    start(*s, "say hello");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> args = {bin_path("claude-jobs")};
    for (auto& a : cli_args({"events", "--follow"})) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    std::this_thread::sleep_for(1500ms);
    ::close(fds[0]);  // the reader goes away while nothing is being written
    int status = -1;
    bool exited = wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 5s);
    if (!exited) ::kill(pid, SIGKILL), ::waitpid(pid, &status, 0);
    ASSERT_TRUE(exited) << "events --follow outlived its reader";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(NotifyTest, EventsUntoldTellsEachEndOnceSharedWithTheHook) {
    auto s = server("session-a");
    s->wait_done(start(*s, "say warm up")["jobId"]);  // collected by its owner
    CliOptions asA{{{"CLAUDE_CODE_SESSION_ID", "session-a"}}, std::nullopt, ""};
    CliProcess monitor(cli_args({"events", "--follow", "--owner", "mine", "--untold"}), asA);
    std::this_thread::sleep_for(1500ms);
    std::string id = start(*s, "say monitored result")["jobId"];
    ASSERT_TRUE(wait_until([&] { return has(monitor.out_so_far(), id); }, 30s));
    std::this_thread::sleep_for(500ms);
    std::string out = monitor.out_so_far();
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "only the end, once: " << out;
    EXPECT_TRUE(has(out, "completed") && has(out, "monitored result")) << out;
    // The session was told through the monitor: its Stop hook does not tell it again.
    CliResult hook = hook_wait(hook_input("session-a"), 1.5);
    EXPECT_EQ(hook.status, 0) << hook.err;
    ::kill(monitor.pid(), SIGTERM);
    monitor.finish(10s);
}

// --- hook-wait -----------------------------------------------------------------------------

TEST_F(NotifyTest, HookWaitWakesItsSessionOncePerEnd) {
    auto s = server("session-a");
    std::string id =
        start(*s, "sleep 2\nsay the answer is 42", {{"label", "deep thought"}})["jobId"];
    CliResult woke = hook_wait(hook_input("session-a"), 30);
    EXPECT_EQ(woke.status, 2) << woke.err;
    EXPECT_TRUE(has(woke.err, id) && has(woke.err, "deep thought") && has(woke.err, "completed") &&
                has(woke.err, "the answer is 42"))
        << woke.err;
    EXPECT_EQ(std::count(woke.err.begin(), woke.err.end(), '\n'), 1) << "one paragraph";
    EXPECT_TRUE(woke.out.empty());

    // The turn that wake-up caused ends; its Stop hook runs again (stop_hook_active): the
    // same end is not told twice.
    CliResult again = hook_wait(hook_input("session-a", true), 1.5);
    EXPECT_EQ(again.status, 0) << again.err;
    EXPECT_TRUE(again.err.empty()) << again.err;
}

TEST_F(NotifyTest, HookWaitIgnoresOtherSessionsAndEndsAlreadyRead) {
    auto a = server("session-a");
    auto b = server("session-b");
    std::string theirs = start(*b, "say theirs")["jobId"];
    std::string read = start(*a, "say read already")["jobId"];
    a->wait_done(theirs);  // read by another session: not collected for its owner
    a->wait_done(read);    // the owner's claude_wait showed the end: collected
    CliResult r = hook_wait(hook_input("session-a"), 1.5);
    EXPECT_EQ(r.status, 0) << r.err;
    // A job of session-b is told to session-b alone.
    CliResult other = hook_wait(hook_input("session-b"), 1.5);
    EXPECT_EQ(other.status, 2) << other.err;
    EXPECT_TRUE(has(other.err, theirs)) << other.err;
}

TEST_F(NotifyTest, HookWaitWithBadInputExitsZeroQuietly) {
    auto s = server("session-a");
    start(*s, "say hi");
    for (std::string input :
         {std::string(""), std::string("{not json"), std::string("[1,2]"),
          std::string(R"({"session_id": 7})"), std::string(R"({"session_id": "../../etc"})")}) {
        auto began = std::chrono::steady_clock::now();
        CliResult r = hook_wait(input, 60, 20s);
        EXPECT_EQ(r.status, 0) << input << ": " << r.err;
        EXPECT_TRUE(r.err.empty() && r.out.empty()) << input << ": " << r.err << r.out;
        EXPECT_LT(std::chrono::steady_clock::now() - began, 5s) << input << ": it must not wait";
    }
}

TEST_F(NotifyTest, OnlyOneHookWaiterPerSession) {
    auto s = server("session-a");
    s->wait_done(start(*s, "say warm up")["jobId"]);  // collected by its owner
    CliProcess first(cli_args({"hook-wait", "--max-wait", "60"}),
                     CliOptions{{}, hook_input("session-a"), ""});
    std::this_thread::sleep_for(1500ms);
    CliProcess second(cli_args({"hook-wait", "--max-wait", "60"}),
                      CliOptions{{}, hook_input("session-a"), ""});
    CliResult older = first.finish(10s);
    EXPECT_EQ(older.status, 0) << "the older waiter steps down: " << older.err;
    std::string id = start(*s, "say for the newer one")["jobId"];
    CliResult newer = second.finish(30s);
    EXPECT_EQ(newer.status, 2) << newer.err;
    EXPECT_TRUE(has(newer.err, id)) << newer.err;
}

// --- channels ------------------------------------------------------------------------------

TEST_F(NotifyTest, ChannelNotificationGoesToTheStartingConnectionOnce) {
    auto owner = server("session-a");
    auto other = server("session-a");  // even the same host session: another connection
    std::string id = start(*owner, "say channel news", {{"label", "news"}})["jobId"];
    auto isChannel = [&](const json& m) {
        return m.value("method", "") == "notifications/claude/channel";
    };
    auto got = owner->wait_message(isChannel, 30s);
    ASSERT_TRUE(got.has_value());
    const json& params = (*got)["params"];
    EXPECT_TRUE(has(params["content"].get<std::string>(), id)) << params.dump();
    EXPECT_EQ(params["meta"]["job_id"], id);
    EXPECT_EQ(params["meta"]["status"], "completed");
    EXPECT_EQ(params["meta"]["label"], "news");
    for (const auto& [key, value] : params["meta"].items()) EXPECT_TRUE(value.is_string()) << key;
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(other->wait_message(isChannel, 500ms).has_value()) << "not the other connection";
    int count = 0;
    for (const auto& line : owner->stdout_lines())
        count += has(line, "notifications/claude/channel");
    EXPECT_EQ(count, 1) << "once";
}

// An interactive job's state comes from its interactive.jsonl (written by the tmux backend and
// Claude Code's hooks); here the records are appended by hand to a running job.
TEST_F(NotifyTest, ChannelTellsWhenAnInteractiveJobWaitsOrAsksOnceEachTime) {
    auto owner = server("session-a");
    auto other = server("session-a");
    std::string id = start(*owner, "sleep 30", {{"label", "talk"}})["jobId"];
    std::string file = state_.path() + "/jobs/" + id + "/interactive.jsonl";
    auto append = [&](const json& record) {
        std::ofstream(file, std::ios::app) << record.dump() << "\n";
    };
    auto channel = [](const std::string& status) {
        return [status](const json& m) {
            return m.value("method", "") == "notifications/claude/channel" &&
                   m["params"]["meta"].value("status", "") == status;
        };
    };
    append({{"event", "Stop"}, {"lastText", "Which file do you mean?"}});
    auto waiting = owner->wait_message(channel("waiting_for_input"), 10s);
    ASSERT_TRUE(waiting.has_value());
    EXPECT_EQ((*waiting)["params"]["meta"]["job_id"], id);
    EXPECT_TRUE(has((*waiting)["params"]["content"].get<std::string>(), "Which file do you mean?"));
    append({{"event", "Notification"}, {"notificationType", "idle_prompt"}});
    std::this_thread::sleep_for(1s);
    append({{"event", "InputSent"}});
    std::this_thread::sleep_for(600ms);
    append({{"event", "Notification"},
            {"notificationType", "permission_prompt"},
            {"message", "Allow Bash?"}});
    auto asking = owner->wait_message(channel("asking"), 10s);
    ASSERT_TRUE(asking.has_value());
    EXPECT_TRUE(has((*asking)["params"]["content"].get<std::string>(), "Allow Bash?"));
    int waits = 0;
    for (const auto& line : owner->stdout_lines()) waits += has(line, "\"waiting_for_input\"");
    EXPECT_EQ(waits, 1) << "told once per wait, not again for the idle reminder";
    EXPECT_FALSE(other->wait_message(channel("asking"), 300ms).has_value()) << "owner only";
    owner->ok("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
}

TEST_F(NotifyTest, NoChannelNotificationForAnEndTheConnectionWaitedFor) {
    auto owner = server("session-a");
    for (int i = 0; i < 3; ++i) {
        std::string id = start(*owner, "sleep 1")["jobId"];
        json waited = owner->ok("claude_wait", {{"jobIds", {id}}, {"timeoutSec", 20}});
        ASSERT_EQ(waited["done"].size(), 1u);
    }
    EXPECT_FALSE(owner
                     ->wait_message(
                         [](const json& m) {
                             return m.value("method", "") == "notifications/claude/channel";
                         },
                         1s)
                     .has_value())
        << "the wait's answer told it";
}

TEST_F(NotifyTest, ChannelCapabilityIsDeclaredAndCanBeTurnedOff) {
    json config = default_config(state_.path());
    Server on(state_.path(), config);
    EXPECT_EQ(on.initialize()["result"]["capabilities"]["experimental"]["claude/channel"],
              json::object());
    TempDir other("cj-notify-off");
    json off = default_config(other.path());
    off["notify"] = {{"channel", false}};
    Server quiet(other.path(), off);
    json caps = quiet.initialize()["result"]["capabilities"];
    EXPECT_FALSE(caps.contains("experimental")) << caps.dump();
    json started = quiet.ok("claude_start", {{"prompt", "say hi"}, {"workFolder", work_.path()}});
    quiet.wait_done(started["jobId"]);
    EXPECT_FALSE(quiet
                     .wait_message(
                         [](const json& m) {
                             return m.value("method", "") == "notifications/claude/channel";
                         },
                         500ms)
                     .has_value());
}

// --- claude_start: waitSec, notify.command ---------------------------------------------------

TEST_F(NotifyTest, StartWithWaitSecReturnsTheEndOfAShortJobAndRunningForALongOne) {
    auto s = server("");
    json quick = start(*s, "sleep 1\nsay quick", {{"waitSec", 20}});
    EXPECT_EQ(quick["status"], "completed") << quick.dump(2);
    EXPECT_EQ(quick["job"]["result"]["text"], "quick") << quick.dump(2);
    auto began = std::chrono::steady_clock::now();
    json slow = start(*s, "sleep 60", {{"waitSec", 2}});
    EXPECT_EQ(slow["status"], "running");
    EXPECT_FALSE(slow.contains("job"));
    EXPECT_GE(std::chrono::steady_clock::now() - began, 1900ms);
    s->ok("claude_cancel", {{"jobId", slow["jobId"]}, {"graceSec", 1}});
    json tooLong = s->call("claude_start", {{"prompt", "say x"}, {"waitSec", 46}});
    EXPECT_TRUE(tooLong["isError"].get<bool>()) << tooLong.dump();
}

TEST_F(NotifyTest, NotifyCommandWaitsForTheJobAndSaysHowItEnded) {
    auto s = server("");
    json started = start(*s, "sleep 1\nsay first line of the result");
    std::string command = started["notify"]["command"];
    EXPECT_TRUE(has(command, " wait " + started["jobId"].get<std::string>())) << command;
    EXPECT_TRUE(has(started["notify"]["how"].get<std::string>(), "run_in_background"));
    // The command as the Bash tool runs it: through a shell.
    std::string out = state_.path() + "/wait.out";
    int rc = std::system((command + " > '" + out + "' 2>&1").c_str());
    EXPECT_EQ(WEXITSTATUS(rc), 0);
    std::string text = read_text(out);
    EXPECT_TRUE(has(text, started["jobId"].get<std::string>()) && has(text, "completed") &&
                has(text, "result: ") && has(text, "first line of the result"))
        << text;
    EXPECT_LT(text.size(), 1000u) << "short: " << text;
}

// --- register --hooks ----------------------------------------------------------------------

TEST_F(NotifyTest, RegisterHooksMergesTheStopHookIdempotentlyWithABackup) {
    TempDir home("cj-notify-home");
    TempDir noBin("cj-notify-nobin");
    std::string settings =
        home.write(".claude/settings.json", R"({"theme":"dark","hooks":{"PreToolUse":[]}})");
    std::map<std::string, std::optional<std::string>> env = {
        {"HOME", home.path()}, {"CLAUDE_CONFIG_DIR", std::nullopt}, {"PATH", noBin.path()}};
    auto reg = [&] {
        return run_cli(cli_args({"register", "--client", "claude-code", "--hooks"}),
                       CliOptions{env, std::nullopt, home.path()});
    };
    CliResult first = reg();
    ASSERT_EQ(first.status, 0) << first.err;
    json merged = json::parse(read_text(settings));
    EXPECT_EQ(merged["theme"], "dark");
    EXPECT_TRUE(merged["hooks"].contains("PreToolUse"));
    const json& hook = merged["hooks"]["Stop"][0]["hooks"][0];
    EXPECT_EQ(hook["asyncRewake"], true);
    EXPECT_TRUE(has(hook["command"].get<std::string>(), bin_path("claude-jobs")));
    EXPECT_TRUE(has(hook["command"].get<std::string>(), " hook-wait")) << hook.dump();
    int backups = 0;
    for (const auto& e : fs::directory_iterator(home.path() + "/.claude"))
        backups += has(e.path().filename().string(), ".bak-");
    EXPECT_EQ(backups, 1);
    CliResult second = reg();
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_TRUE(has(second.out, "Stop hook (hook-wait) is already registered")) << second.out;
    EXPECT_EQ(json::parse(read_text(settings)), merged);
}

}  // namespace
}  // namespace cj::testing

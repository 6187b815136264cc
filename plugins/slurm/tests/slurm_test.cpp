// The slurm backend end to end: the built server, a real single-node Slurm cluster (started by
// the slurm_cluster test fixture, tests/slurm/cluster.sh; its SLURM_CONF is in this test's
// environment) and the stand-in claude. Every outcome, cancel while pending and while running
// (nothing of the job left, a double-forked grandchild included), scancel from outside, a
// server restart with pending, running and finished jobs, a full cluster, hostile names, the
// shared-root layout and health messages. Waits are on conditions, bounded.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "harness.h"

namespace cj::testing {
namespace {

// Runs a Slurm client command (test-made arguments only) with the test's SLURM_CONF; its stdout.
std::string slurm(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
    if (!pipe) return "";
    std::string text;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
    ::pclose(pipe);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// The Slurm job id of our job, while Slurm remembers it.
std::string slurm_id(const std::string& jobId) {
    return slurm("squeue --noheader --states=all --format=%i --name=claude-jobs-" + jobId);
}
std::string slurm_state(const std::string& slurmId) {
    return slurm("squeue --noheader --states=all --format=%T --jobs=" + slurmId);
}

class SlurmTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* conf = std::getenv("SLURM_CONF");
        if (::access("/usr/bin/sbatch", X_OK) != 0 && ::access("/usr/local/bin/sbatch", X_OK) != 0)
            GTEST_SKIP() << "Slurm is not installed here (scripts/install-deps.sh --test installs "
                            "slurmctld, slurmd, slurm-client and munge)";
        ASSERT_TRUE(conf && std::filesystem::exists(conf))
            << "no test cluster: SLURM_CONF is unset or missing; run through ctest (the "
               "slurm_cluster fixture starts it)";
        ASSERT_EQ(slurm("scontrol ping").find("is UP") != std::string::npos, true)
            << "the test cluster's controller does not answer";
        // Jobs of an earlier test are gone (each test cancels what it starts).
        ASSERT_TRUE(wait_until([] { return slurm("squeue --noheader --format=%i").empty(); },
                               std::chrono::seconds(30)))
            << "jobs left on the cluster: " << slurm("squeue");
        start_server(config());
    }
    void TearDown() override {
        server_.reset();
        for (const auto& id : ids_)
            if (auto sid = slurm_id(id); !sid.empty()) slurm("scancel " + sid);
    }
    json config(json backend = json::object()) {
        json c = default_config(state_.path());
        json entry = {{"plugin", "slurm"}};
        for (auto& [k, v] : backend.items()) entry[k] = v;
        json whole = {{"plugin", "slurm"}, {"cpus", 4}};  // the node's every CPU
        c["backends"] = {
            {"local", {{"plugin", "local-detached"}}}, {"cluster", entry}, {"whole", whole}};
        c["defaultBackend"] = "cluster";
        c["maxConcurrentJobs"] = 8;
        return c;
    }
    void start_server(const json& c) {
        server_.reset();
        server_ = std::make_unique<Server>(home_.path(), c);
        server_->initialize();
    }
    std::string start(const std::string& prompt, json extra = json::object()) {
        extra["prompt"] = prompt;
        if (!extra.contains("workFolder")) extra["workFolder"] = work();
        json started = server_->ok("claude_start", extra);
        std::string id = started["jobId"];
        ids_.push_back(id);
        return id;
    }
    std::string work() { return std::filesystem::canonical(work_.path()).string(); }
    std::string job_dir(const std::string& id) { return state_.path() + "/jobs/" + id; }
    bool runner_started(const std::string& id) {
        return wait_until([&] { return !read_text(job_dir(id) + "/runner.json").empty(); },
                          std::chrono::seconds(30));
    }
    std::string start_error(const json& c) {
        start_server(c);
        json r = server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work()}});
        EXPECT_TRUE(r.value("isError", false)) << r.dump(2);
        return r["structuredContent"].dump();
    }

    TempDir home_{"cj-slurm-home"};
    TempDir work_{"cj-slurm-work"};
    TempDir state_{"cj-slurm-state"};
    std::unique_ptr<Server> server_;
    std::vector<std::string> ids_;
};

TEST_F(SlurmTest, CompletesThroughSlurmWithTheJobFilesOfALocalJob) {
    std::string id = start("say hello from a node");
    std::string sid;
    ASSERT_TRUE(wait_until([&] { return !(sid = slurm_id(id)).empty(); }, std::chrono::seconds(10)))
        << "no Slurm job named claude-jobs-" << id;
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);
    EXPECT_EQ(view["exitCode"], 0);
    EXPECT_EQ(view["result"]["text"], "hello from a node");
    for (const char* f : {"events.jsonl", "stderr.log", "runner.json", "exit.json"})
        EXPECT_TRUE(std::filesystem::exists(job_dir(id) + "/" + f)) << f;
    // The runner's arguments are in a file only the user reads, not on a command line.
    struct stat st {};
    ASSERT_EQ(::stat((job_dir(id) + "/slurm-argv").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(read_text(job_dir(id) + "/slurm-argv").find(std::string("--job-dir\0", 10)),
              std::string::npos);
}

// The job's environment reaches the node through sbatch's own environment, filtered by the
// backend's `environment`; a secret is on no command line and in no file Slurm keeps.
TEST_F(SlurmTest, TheJobGetsItsSelectedEnvironmentAndSecretsStayOffCommandLines) {
    json c = config({{"environment", {"PATH", "ANTHROPIC_*", "CLAUDE_JOBS_*"}}});
    c["claude"]["env"] = {{"ANTHROPIC_API_KEY", "sk-test-secret-1"}, {"OTHER_SECRET", "s3cret"}};
    start_server(c);
    std::string out = work() + "/env.txt";
    std::string id = start("sleep 1\nenv " + out);
    ASSERT_TRUE(runner_started(id));
    std::string sid = slurm_id(id);
    ASSERT_FALSE(sid.empty());
    std::string shown = slurm("scontrol show job " + sid) + slurm("scontrol show job -d " + sid);
    EXPECT_NE(shown.find("claude-jobs-" + id), std::string::npos) << shown;
    EXPECT_EQ(shown.find("sk-test-secret-1"), std::string::npos) << shown;
    json view = server_->wait_done(id, 60);
    ASSERT_EQ(view["status"], "completed") << view.dump(2);
    std::string env = read_text(out);
    EXPECT_NE(env.find("ANTHROPIC_API_KEY=sk-test-secret-1"), std::string::npos) << env;
    EXPECT_NE(env.find("CLAUDE_JOBS_JOB_ID=" + id), std::string::npos) << env;
    EXPECT_EQ(env.find("OTHER_SECRET"), std::string::npos) << "an unselected variable leaked";
    EXPECT_EQ(read_text(job_dir(id) + "/slurm-argv").find("sk-test-secret-1"), std::string::npos);
}

TEST_F(SlurmTest, ExitThreeIsFailedWithThatCode) {
    std::string id = start("stderr something broke\nexit 3");
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "failed") << view.dump(2);
    EXPECT_EQ(view["exitCode"], 3);
    EXPECT_NE(view["stderrTail"].get<std::string>().find("something broke"), std::string::npos);
}

TEST_F(SlurmTest, RunningPastItsLimitIsTimedOut) {
    std::string id = start("sleep 60", {{"timeoutSec", 1}});
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "timed_out") << view.dump(2);
}

TEST_F(SlurmTest, CancelWhileRunningLeavesNoProcessNotEvenADoubleForkedGrandchild) {
    std::string pids = work() + "/daemon.pid";
    std::string child = work() + "/child.pid";
    std::string id =
        start("spawn-daemon 120 " + pids + "\nspawn-child 120 " + child + "\nsleep 120");
    ASSERT_TRUE(runner_started(id));
    ASSERT_TRUE(wait_until([&] { return !read_text(pids).empty() && !read_text(child).empty(); },
                           std::chrono::seconds(30)));
    json runner = runner_info(state_.path(), id);
    pid_t daemon = std::stoi(read_text(pids));
    pid_t kid = std::stoi(read_text(child));
    std::string sid = slurm_id(id);
    ASSERT_FALSE(sid.empty());
    ASSERT_TRUE(process_alive(daemon));
    json cancelled = server_->ok("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
    json view = cancelled["status"] == "cancelled" ? cancelled : server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
    for (pid_t pid : {daemon, kid, static_cast<pid_t>(runner["runnerPid"].get<int>()),
                      static_cast<pid_t>(runner["childPid"].get<int>())})
        EXPECT_TRUE(wait_until([&] { return !process_alive(pid); }, std::chrono::seconds(15)))
            << "process " << pid << " of the cancelled job is still there";
    EXPECT_TRUE(wait_until(
        [&] {
            std::string state = slurm_state(sid);
            return state.empty() ||
                   (state != "RUNNING" && state != "PENDING" && state != "COMPLETING");
        },
        std::chrono::seconds(20)))
        << "Slurm still runs the job: " << slurm_state(sid);
}

// More jobs than the cluster has CPUs: the second waits, says why, and is cancelled without
// ever running; the first runs on, then is cancelled too.
TEST_F(SlurmTest, APendingJobOnAFullClusterSaysWhyItWaitsAndIsCancelledWithoutRunning) {
    std::string first = start("sleep 120", {{"backend", "whole"}});
    ASSERT_TRUE(runner_started(first));
    std::string second = start("say never", {{"backend", "whole"}});
    json check;
    ASSERT_TRUE(wait_until(
        [&] {
            check = server_->ok("claude_check", {{"jobId", second}});
            return check["activity"].contains("waiting") &&
                   check["activity"]["waiting"].get<std::string>().find("Resources") !=
                       std::string::npos;
        },
        std::chrono::seconds(20)))
        << check.dump(2);
    EXPECT_EQ(check["status"], "running");
    EXPECT_NE(check["activity"]["waiting"].get<std::string>().find("waiting in Slurm's queue"),
              std::string::npos)
        << check.dump(2);
    // The running job says nothing of waiting.
    EXPECT_FALSE(server_->ok("claude_check", {{"jobId", first}})["activity"].contains("waiting"));

    json cancelled = server_->ok("claude_cancel", {{"jobId", second}, {"graceSec", 1}});
    json view = cancelled["status"] == "cancelled" ? cancelled : server_->wait_done(second, 60);
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
    EXPECT_FALSE(std::filesystem::exists(job_dir(second) + "/runner.json"))
        << "the pending job ran after all";
    server_->ok("claude_cancel", {{"jobId", first}, {"graceSec", 1}});
    EXPECT_EQ(server_->wait_done(first, 60)["status"], "cancelled");
}

TEST_F(SlurmTest, AJobCancelledInSlurmFromOutsideEndsWithItsRealStateAndAReason) {
    std::string id = start("sleep 120");
    ASSERT_TRUE(runner_started(id));
    std::string sid = slurm_id(id);
    ASSERT_FALSE(sid.empty());
    slurm("scancel " + sid);
    json view = server_->wait_done(id, 60);
    // Slurm signals every process of the job: the runner records it was cancelled. Nobody
    // here asked for it, so the reason must say where it came from.
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("from outside"), std::string::npos)
        << view.dump(2);
}

TEST_F(SlurmTest, APendingJobCancelledInSlurmFromOutsideIsOrphanedSayingSo) {
    std::string first = start("sleep 120", {{"backend", "whole"}});
    ASSERT_TRUE(runner_started(first));
    std::string second = start("say never", {{"backend", "whole"}});
    std::string sid;
    ASSERT_TRUE(wait_until([&] { return !(sid = slurm_id(second)).empty(); }));
    slurm("scancel " + sid);
    json view = server_->wait_done(second, 60);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("was cancelled in Slurm"), std::string::npos)
        << view["reason"];
    server_->ok("claude_cancel", {{"jobId", first}, {"graceSec", 1}});
    EXPECT_EQ(server_->wait_done(first, 60)["status"], "cancelled");
}

// The supervisor itself killed (SIGKILL, as the OOM killer or a crash would), so no exit record:
// Slurm ends the batch step and its processes, and the job ends orphaned with what Slurm says.
// Once Slurm has forgotten such a job (MinJobAge; no accounting here), a server started
// afterwards still ends it, saying so.
TEST_F(SlurmTest, AJobWhoseSupervisorIsKilledIsOrphanedWithSlurmsWordEvenAfterSlurmForgotIt) {
    std::string seen = start("sleep 120");
    std::string forgotten = start("sleep 120");
    ASSERT_TRUE(runner_started(seen));
    ASSERT_TRUE(runner_started(forgotten));
    std::string seenId = slurm_id(seen), forgottenId = slurm_id(forgotten);
    ASSERT_FALSE(seenId.empty());
    ASSERT_FALSE(forgottenId.empty());

    ::kill(static_cast<pid_t>(runner_info(state_.path(), seen)["runnerPid"].get<int>()), SIGKILL);
    json view = server_->wait_done(seen, 60);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    std::string reason = view["reason"];
    EXPECT_NE(reason.find("Slurm job " + seenId), std::string::npos) << reason;
    EXPECT_NE(reason.find("before its supervisor recorded the exit"), std::string::npos) << reason;

    server_->kill_hard();
    ::kill(static_cast<pid_t>(runner_info(state_.path(), forgotten)["runnerPid"].get<int>()),
           SIGKILL);
    ASSERT_TRUE(
        wait_until([&] { return slurm_state(forgottenId).empty(); }, std::chrono::seconds(40)))
        << "Slurm still knows job " << forgottenId << ": " << slurm_state(forgottenId);
    start_server(config());
    json after = server_->wait_done(forgotten, 60);
    EXPECT_EQ(after["status"], "orphaned") << after.dump(2);
    EXPECT_NE(after["reason"].get<std::string>().find("Slurm no longer knows job " + forgottenId),
              std::string::npos)
        << after.dump(2);
    EXPECT_FALSE(std::filesystem::exists(job_dir(forgotten) + "/exit.json"));
}

TEST_F(SlurmTest, AServerRestartFindsPendingRunningAndFinishedJobsAgain) {
    std::string finished = start("say before the restart");
    std::string running = start("sleep 120", {{"backend", "whole"}});
    ASSERT_TRUE(runner_started(running));
    std::string pending = start("say after the wait", {{"backend", "whole"}});
    ASSERT_TRUE(wait_until([&] { return !read_text(job_dir(finished) + "/exit.json").empty(); },
                           std::chrono::seconds(30)));
    server_->kill_hard();
    start_server(config());
    json done = server_->wait_done(finished, 30);
    EXPECT_EQ(done["status"], "completed") << done.dump(2);
    EXPECT_EQ(done["result"]["text"], "before the restart");
    json check;
    ASSERT_TRUE(wait_until(
        [&] {
            check = server_->ok("claude_check", {{"jobId", pending}});
            return check["activity"].contains("waiting");
        },
        std::chrono::seconds(20)))
        << check.dump(2);
    EXPECT_EQ(check["status"], "running");
    EXPECT_EQ(server_->ok("claude_check", {{"jobId", running}})["status"], "running");
    // Ending the running job lets the pending one run and complete.
    server_->ok("claude_cancel", {{"jobId", running}, {"graceSec", 1}});
    EXPECT_EQ(server_->wait_done(running, 60)["status"], "cancelled");
    json after = server_->wait_done(pending, 60);
    EXPECT_EQ(after["status"], "completed") << after.dump(2);
    EXPECT_EQ(after["result"]["text"], "after the wait");
}

TEST_F(SlurmTest, HostileFolderNamesAndLabelsInjectNothing) {
    std::vector<std::string> ids;
    std::vector<std::string> folders;
    for (std::string name : {"we ird $(touch pwned) ;'\"` x", "%j%u%x", "--help", "back\\slash"}) {
        std::string folder = work() + "/" + name;
        std::filesystem::create_directories(folder);
        folders.push_back(folder);
        ids.push_back(start(
            "touch " + folder + "/made\nsay ok",
            {{"workFolder", folder}, {"label", "x' --wrap='touch /tmp/pwned' $(id) `id` %j"}}));
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
        json view = server_->wait_done(ids[i], 60);
        EXPECT_EQ(view["status"], "completed") << folders[i] << ": " << view.dump(2);
        EXPECT_TRUE(std::filesystem::exists(folders[i] + "/made")) << folders[i];
    }
    EXPECT_FALSE(std::filesystem::exists(work() + "/pwned"));
    EXPECT_FALSE(std::filesystem::exists("/pwned"));
}

// Several machines: job folders and work folders under a shared root, the runner at a path of
// its own there (as on nodes that mount it). Here the one node is this machine.
TEST_F(SlurmTest, TheSharedRootLayoutRunsJobsAndHealthSaysWhatIsWrong) {
    std::string shared = std::filesystem::canonical(home_.path()).string();
    std::string runner = shared + "/bin/claude-jobs-runner";
    std::filesystem::create_directories(shared + "/bin");
    std::filesystem::copy_file(bin_path("claude-jobs-runner"), runner);
    ::chmod(runner.c_str(), 0755);
    std::string inside = shared + "/work";
    std::filesystem::create_directories(inside);
    std::string state = shared + "/state";
    json c = config({{"sharedRoot", shared}, {"runnerPath", runner}});
    c["stateDir"] = state;
    start_server(c);
    std::string id = start("say shared", {{"workFolder", inside}});
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);
    EXPECT_EQ(runner_info(state, id)["runnerPid"].is_number(), true);
    EXPECT_NE(read_text(state + "/jobs/" + id + "/slurm-argv").find(runner), std::string::npos);

    // A work folder outside the shared root is refused, saying why.
    json outside = server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work()}});
    std::string text = outside.dump();
    EXPECT_NE(text.find("not under the shared root"), std::string::npos) << text;

    // A shared root that is not there.
    c = config({{"sharedRoot", "/nonexistent/shared"}});
    c["stateDir"] = state;
    std::string missing = start_error(c);
    EXPECT_NE(missing.find("mount the filesystem the nodes share"), std::string::npos) << missing;
    // A state dir outside the shared root.
    std::string elsewhere = start_error(config({{"sharedRoot", work()}}));
    EXPECT_NE(elsewhere.find("set \\\"stateDir\\\""), std::string::npos) << elsewhere;
}

// A runner path that exists on no node (it is not checked from here: it may exist only on the
// nodes): the batch step fails, and the job ends saying what the node said.
TEST_F(SlurmTest, ARunnerMissingOnTheNodeEndsTheJobWithWhatTheNodeSaid) {
    start_server(config({{"runnerPath", "/nonexistent/claude-jobs-runner"}}));
    std::string id = start("say never");
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    std::string reason = view["reason"];
    EXPECT_NE(reason.find("before its supervisor recorded the exit"), std::string::npos) << reason;
    EXPECT_NE(reason.find("/nonexistent/claude-jobs-runner"), std::string::npos) << reason;
}

TEST_F(SlurmTest, MissingCommandsAndAnUnreachableControllerAreSaidWithTheFix) {
    std::string missing = start_error(config({{"sbatchPath", "/nonexistent/sbatch"}}));
    EXPECT_NE(missing.find("/nonexistent/sbatch"), std::string::npos) << missing;
    EXPECT_NE(missing.find("slurm-client"), std::string::npos) << missing;
    // A server whose SLURM_CONF names a controller nobody runs.
    std::string conf = work() + "/slurm.conf";
    std::string text = read_text(std::getenv("SLURM_CONF"));
    auto at = text.find("SlurmctldPort=");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, text.find('\n', at) - at, "SlurmctldPort=9");
    write_text(conf, text);
    // The server inherits this process's environment: point it elsewhere while it starts.
    std::string real = std::getenv("SLURM_CONF");
    ::setenv("SLURM_CONF", conf.c_str(), 1);
    start_server(config());
    ::setenv("SLURM_CONF", real.c_str(), 1);
    json r = server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work()}});
    std::string down = r.dump();
    EXPECT_TRUE(r.value("isError", false)) << down;
    EXPECT_NE(down.find("controller does not answer"), std::string::npos) << down;
}

}  // namespace
}  // namespace cj::testing

// The container backend end to end: the built server, real Podman, and the stand-in claude
// inside a local image (built by tests/container/setup.sh). Every outcome a job can have,
// cancel and outside interference, a server restart mid-job, hostile names, and the user the
// job's files belong to. Containers are removed by the backend; the tests check that.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/jobs/git.h"
#include "harness.h"
#include "support/small_disk.h"

namespace cj::testing {
namespace {

const std::string kImage = "localhost/claude-jobs-test:stand-in";

std::string container_test_dir() {
    return std::string(BUILD_BIN_DIR) + "/../container-test";
}
std::string containers_conf() {
    return container_test_dir() + "/containers.conf";
}

// Runs podman with the tests' containers.conf; returns its exit code and stdout.
int podman(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::string command = "CONTAINERS_CONF='" + containers_conf() + "' podman";
    for (const auto& a : args) command += " '" + a + "'";  // test-made names only, no quotes
    command += " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return -1;
    std::string text;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
    int status = ::pclose(pipe);
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool container_exists(const std::string& jobId) {
    return podman({"container", "exists", "claude-jobs-" + jobId}) == 0;
}

class ContainerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(std::filesystem::exists(containers_conf()))
            << "run tests/container/setup.sh <build dir> first (scripts/test.sh does)";
        ASSERT_EQ(podman({"image", "exists", kImage}), 0)
            << kImage << " is missing: run tests/container/setup.sh <build dir>";
        ::chmod(work_.path().c_str(), 0777);  // the non-root job user writes here too
        start_server(config());
    }
    void TearDown() override {
        server_.reset();
        // Nothing of ours may be left behind: the backend removes containers in the
        // background, so wait for that (bounded) before judging.
        for (const auto& id : ids_) {
            EXPECT_TRUE(wait_until([&] { return !container_exists(id); }, std::chrono::seconds(30)))
                << "container of job " << id << " was left behind";
            podman({"rm", "--force", "claude-jobs-" + id});
        }
    }
    json config(json backend = json::object()) {
        json c = default_config(state_.path());
        json box = {{"plugin", "container"},
                    {"runtime", "podman"},
                    {"image", kImage},
                    {"claudePath", "/usr/local/bin/claude"},
                    {"network", "none"}};
        for (auto& [k, v] : backend.items()) box[k] = v;
        c["backends"] = {{"local", {{"plugin", "local-detached"}}}, {"box", box}};
        c["defaultBackend"] = "box";
        return c;
    }
    void start_server(const json& c) {
        server_.reset();
        server_ = std::make_unique<Server>(
            state_.path(), c, std::vector<std::string>{"CONTAINERS_CONF=" + containers_conf()});
        server_->initialize();
    }
    std::string start(const std::string& prompt, json extra = json::object()) {
        extra["prompt"] = prompt;
        if (!extra.contains("workFolder")) extra["workFolder"] = work_.path();
        json started = server_->ok("claude_start", extra);
        EXPECT_EQ(started["backend"], "box");
        std::string id = started["jobId"];
        ids_.push_back(id);
        return id;
    }
    std::string job_dir(const std::string& id) { return state_.path() + "/jobs/" + id; }
    bool runner_started(const std::string& id) {
        return wait_until([&] { return !read_text(job_dir(id) + "/runner.json").empty(); },
                          std::chrono::seconds(30));
    }

    TempDir state_{"cj-box-state"};
    TempDir work_{"cj-box-work"};
    std::unique_ptr<Server> server_;
    std::vector<std::string> ids_;
};

TEST_F(ContainerTest, CompletesWithItsResultAndTheContainerIsRemoved) {
    std::string id = start("say hello from the box");
    json view = server_->wait_done(id, 120);
    EXPECT_EQ(view["status"], "completed") << view.dump(2);
    EXPECT_EQ(view["exitCode"], 0);
    EXPECT_EQ(view["result"]["text"], "hello from the box");
    for (const char* f : {"events.jsonl", "stderr.log", "runner.json", "exit.json"})
        EXPECT_TRUE(std::filesystem::exists(job_dir(id) + "/" + f)) << f;
    EXPECT_TRUE(wait_until([&] { return !container_exists(id); }, std::chrono::seconds(30)));
    // The secrets file given to `run` is gone.
    EXPECT_FALSE(std::filesystem::exists(state_.path() + "/container-env/" + id + ".env"));
}

TEST_F(ContainerTest, TheJobSeesOnlyWhatItIsGiven) {
    // The env directive writes the job's environment into a file in the work folder.
    std::string out = work_.path() + "/env.txt";
    json c = config();
    c["claude"]["env"] = {{"ANTHROPIC_API_KEY", "sk-test-1"}, {"OTHER_SECRET", "s3cret"}};
    start_server(c);
    std::string id = start("env " + out);
    json view = server_->wait_done(id, 120);
    ASSERT_EQ(view["status"], "completed") << view.dump(2);
    std::string env = read_text(out);
    EXPECT_NE(env.find("IS_SANDBOX=1"), std::string::npos) << env;
    EXPECT_NE(env.find("CLAUDE_JOBS_JOB_ID=" + id), std::string::npos) << env;
    EXPECT_NE(env.find("ANTHROPIC_API_KEY=sk-test-1"), std::string::npos) << env;
    EXPECT_EQ(env.find("OTHER_SECRET"), std::string::npos) << "an unselected variable leaked";
    EXPECT_EQ(env.find("CONTAINERS_CONF"), std::string::npos) << "the server's environment leaked";
}

TEST_F(ContainerTest, NonZeroExitIsFailedWithThatCode) {
    std::string id = start("stderr something broke\nexit 3");
    json view = server_->wait_done(id, 120);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_EQ(view["exitCode"], 3);
    EXPECT_NE(view["reason"].get<std::string>().find("exit code 3"), std::string::npos)
        << view["reason"];
    EXPECT_NE(view["stderrTail"].get<std::string>().find("something broke"), std::string::npos);
}

TEST_F(ContainerTest, CancelMidRunStopsAndRemovesTheContainer) {
    std::string id = start("sleep 60");
    ASSERT_TRUE(runner_started(id));
    json cancelled = server_->ok("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
    json view = cancelled["status"] == "cancelled" ? cancelled : server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "cancelled") << view.dump(2);
    // The supervisor, the container's first process, recorded the end on `stop`.
    EXPECT_TRUE(wait_until([&] { return !read_text(job_dir(id) + "/exit.json").empty(); }));
    EXPECT_TRUE(wait_until([&] { return !container_exists(id); }, std::chrono::seconds(30)))
        << "the cancelled job's container is still there";
}

TEST_F(ContainerTest, ContainerKilledFromOutsideEndsWithAReason) {
    std::string id = start("sleep 60");
    ASSERT_TRUE(runner_started(id));
    ASSERT_EQ(podman({"kill", "claude-jobs-" + id}), 0);
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "failed") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("SIGKILL"), std::string::npos)
        << view["reason"];
}

TEST_F(ContainerTest, ContainerRemovedBehindOurBackIsOrphaned) {
    std::string id = start("sleep 60");
    ASSERT_TRUE(runner_started(id));
    ASSERT_EQ(podman({"rm", "--force", "--time", "0", "claude-jobs-" + id}), 0);
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("removed"), std::string::npos)
        << view["reason"];
}

TEST_F(ContainerTest, ServerRestartMidJobTracksContainersAgain) {
    std::string done = start("sleep 2\nsay survived");
    std::string failed = start("sleep 2\nexit 4");
    std::string unrecorded = start("sleep 2\nexit 5");
    std::string running = start("sleep 60");
    for (const auto& id : {done, failed, unrecorded, running}) ASSERT_TRUE(runner_started(id));
    server_->kill_hard();
    // One job's record is lost while no server watches: its exit code must come from the
    // runtime, which keeps the exited container until a server records the outcome.
    ASSERT_TRUE(wait_until([&] { return !read_text(job_dir(unrecorded) + "/exit.json").empty(); },
                           std::chrono::seconds(30)));
    std::filesystem::remove(job_dir(unrecorded) + "/exit.json");
    ASSERT_TRUE(container_exists(unrecorded));
    start_server(config());
    json ok = server_->wait_done(done, 60);
    EXPECT_EQ(ok["status"], "completed");
    EXPECT_EQ(ok["result"]["text"], "survived");
    EXPECT_EQ(server_->wait_done(failed, 60)["exitCode"], 4);
    json fromRuntime = server_->wait_done(unrecorded, 60);
    EXPECT_EQ(fromRuntime["status"], "failed") << fromRuntime.dump(2);
    EXPECT_EQ(fromRuntime["exitCode"], 5) << fromRuntime.dump(2);
    json still = server_->ok("claude_check", {{"jobId", running}});
    EXPECT_EQ(still["status"], "running") << "a live container is tracked again after the restart";
    server_->ok("claude_cancel", {{"jobId", running}, {"graceSec", 1}});
    EXPECT_EQ(server_->wait_done(running, 60)["status"], "cancelled");
}

// Chaos: the disk under the state dir (and so under the job folder the container writes to)
// fills up while a job runs in its container, and the server is killed meanwhile. The job dies
// of the full disk; the runner in the container still records the end, and the next server,
// once space is back, records it failed saying why. A small tmpfs of the test's own (root only).
TEST_F(ContainerTest, AJobKilledByAFullDiskWhileNoServerRunsEndsSayingSo) {
    SmallDisk disk(24);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    server_.reset();
    TempDir home("cj-box-home");
    std::string state = disk.path() + "/state";
    json c = config();
    c["stateDir"] = state;
    std::string id;
    {
        Server server(home.path(), c, {"CONTAINERS_CONF=" + containers_conf()});
        server.initialize();
        id = server.ok("claude_start", {{"prompt", "sleep 2\noutput 400000\nsay finished"},
                                        {"workFolder", work_.path()}})["jobId"];
        ids_.push_back(id);
        ASSERT_TRUE(
            wait_until([&] { return !read_text(state + "/jobs/" + id + "/runner.json").empty(); },
                       std::chrono::seconds(30)));
        ASSERT_TRUE(disk.fill());
        server.kill_hard();
    }
    ASSERT_TRUE(wait_until([&] { return !read_text(state + "/jobs/" + id + "/exit.json").empty(); },
                           std::chrono::seconds(30)))
        << "no exit record on the full disk";
    disk.free_up();
    Server again(home.path(), c, {"CONTAINERS_CONF=" + containers_conf()});
    again.initialize();
    json view = again.wait_done(id, 60);
    EXPECT_EQ(view["status"], "failed") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("no space left on device"), std::string::npos)
        << view["reason"];
    // The container is removed before the server goes (TearDown checks).
    EXPECT_TRUE(wait_until([&] { return !container_exists(id); }, std::chrono::seconds(30)));
}

// A server that stopped after recording a job's end but before removing its container: the
// next server to start removes it (the job index keeps the job as held until its backend
// has freed it).
TEST_F(ContainerTest, AContainerLeftByAServerThatStoppedBeforeRemovingItIsRemovedNextStart) {
    std::string id = start("sleep 1\nsay done");
    ASSERT_TRUE(runner_started(id));
    server_->kill_hard();
    ASSERT_TRUE(wait_until([&] { return !read_text(job_dir(id) + "/exit.json").empty(); },
                           std::chrono::seconds(30)));
    std::string status;
    ASSERT_TRUE(wait_until([&] {
        podman({"inspect", "--format", "{{.State.Status}}", "claude-jobs-" + id}, &status);
        return status.rfind("exited", 0) == 0;
    })) << status;
    // What the stopped server had done: the end recorded, the container not yet removed.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((state_.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
    std::string sql = "UPDATE jobs SET state = 'completed', exit_code = 0, ended_at = " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()) +
                      ", reason = 'completed: exit code 0' WHERE id = '" + id + "'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_TRUE(container_exists(id));

    start_server(config());
    EXPECT_TRUE(wait_until([&] { return !container_exists(id); }, std::chrono::seconds(30)))
        << "the next server did not remove the container of an ended job";
    EXPECT_EQ(server_->ok("claude_check", {{"jobId", id}})["status"], "completed");
}

TEST_F(ContainerTest, AContainerOfTheSameNameWithoutTheJobsLabelIsNotTakenForIt) {
    std::string id = start("sleep 60");
    ASSERT_TRUE(runner_started(id));
    server_->kill_hard();
    // While no server watches, the job's container goes and another takes its name.
    ASSERT_EQ(podman({"rm", "--force", "--time", "0", "claude-jobs-" + id}), 0);
    ASSERT_EQ(podman({"create", "--name", "claude-jobs-" + id, "--label", "claude-jobs.job=other",
                      "--entrypoint", "/bin/sleep", kImage, "60"}),
              0);
    start_server(config());
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "orphaned") << view.dump(2);
    EXPECT_NE(view["reason"].get<std::string>().find("not this job's"), std::string::npos)
        << view["reason"];
    EXPECT_TRUE(container_exists(id)) << "someone else's container was removed";
    podman({"rm", "--force", "claude-jobs-" + id});
}

TEST_F(ContainerTest, HostileFolderNamesAndLabelsInjectNothing) {
    for (std::string name :
         {"we ird $(touch pwned) ;'\"` x", "with,comma", "with:colon", "--privileged"}) {
        std::string folder = work_.path() + "/" + name;
        std::filesystem::create_directories(folder);
        std::string id =
            start("touch " + folder + "/made\nsay ok",
                  {{"workFolder", folder}, {"label", "x\" --privileged --label evil=1 $(id)"}});
        json view = server_->wait_done(id, 120);
        EXPECT_EQ(view["status"], "completed") << name << ": " << view.dump(2);
        EXPECT_TRUE(std::filesystem::exists(folder + "/made")) << name;
    }
    EXPECT_FALSE(std::filesystem::exists(work_.path() + "/pwned"));
    // A path with both separators of the runtime's mount options is refused, plainly.
    std::string both = work_.path() + "/a,b:c";
    std::filesystem::create_directories(both);
    json refused = server_->call("claude_start", {{"prompt", "say never"}, {"workFolder", both}});
    ASSERT_TRUE(refused.value("isError", false)) << refused.dump(2);
    std::string message = refused["structuredContent"]["error"]["message"];
    EXPECT_NE(message.find("rename the folder"), std::string::npos) << message;
}

TEST_F(ContainerTest, OnlyOurLabelsAreOnTheContainer) {
    std::string id = start("sleep 60", {{"label", "evil=1,other=2"}});
    ASSERT_TRUE(runner_started(id));
    std::string labels;
    ASSERT_EQ(
        podman({"inspect", "--format", "{{json .Config.Labels}}", "claude-jobs-" + id}, &labels),
        0);
    json parsed = json::parse(labels, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << labels;
    EXPECT_EQ(parsed["claude-jobs.job"], id);
    EXPECT_EQ(parsed["claude-jobs.instance"], "box");
    EXPECT_FALSE(parsed.contains("evil"));
    server_->ok("claude_cancel", {{"jobId", id}, {"graceSec", 0}});
    server_->wait_done(id, 60);
}

TEST_F(ContainerTest, FilesInTheWorkFolderBelongToTheConfiguredUser) {
    start_server(config({{"user", "1234:1234"}}));
    std::string made = work_.path() + "/made-by-job";
    std::string id = start("touch " + made + "\nsay made");
    json view = server_->wait_done(id, 120);
    ASSERT_EQ(view["status"], "completed") << view.dump(2);
    struct stat info {};
    ASSERT_EQ(::stat(made.c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 1234u);
    EXPECT_EQ(info.st_gid, 1234u);
    // The supervisor, running as that user too, wrote its records into the job folder.
    ASSERT_EQ(::stat((job_dir(id) + "/exit.json").c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 1234u);
}

TEST_F(ContainerTest, RunningPastItsLimitIsTimedOut) {
    std::string id = start("sleep 60", {{"timeoutSec", 1}});
    json view = server_->wait_done(id, 60);
    EXPECT_EQ(view["status"], "timed_out") << view.dump(2);
}

TEST_F(ContainerTest, AMissingOrBrokenRuntimeIsSaidPlainly) {
    auto start_error = [&]() {
        json r =
            server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work_.path()}});
        EXPECT_TRUE(r.value("isError", false)) << r.dump(2);
        return r["structuredContent"].dump();
    };
    start_server(config({{"runtime", "/nonexistent/podman"}}));
    std::string missing = start_error();
    EXPECT_NE(missing.find("/nonexistent/podman"), std::string::npos) << missing;
    // A runtime that answers nothing but failure: `info` fails.
    start_server(config({{"runtime", "/bin/false"}}));
    std::string broken = start_error();
    EXPECT_NE(broken.find("not working"), std::string::npos) << broken;
}

TEST_F(ContainerTest, MissingImageMakesTheBackendUnavailableWithAHint) {
    start_server(config({{"image", "localhost/claude-jobs-test:no-such-image"}}));
    json r = server_->call("claude_start", {{"prompt", "say hi"}, {"workFolder", work_.path()}});
    ASSERT_TRUE(r.value("isError", false)) << r.dump(2);
    std::string message = r["structuredContent"].dump();
    EXPECT_NE(message.find("no-such-image"), std::string::npos) << message;
    EXPECT_NE(message.find("Containerfile"), std::string::npos) << message;
}

TEST_F(ContainerTest, AWorktreeJobWorksInItsWorktreeAndItsPatchShowsIt) {
    jobs::git::Git git;
    std::string repo = std::filesystem::canonical(work_.path()).string();
    ASSERT_TRUE(git.must(repo, {"init", "-q"}).ok());
    write_text(repo + "/a.txt", "a\n");
    ASSERT_TRUE(git.must(repo, {"add", "-A"}).ok());
    ASSERT_TRUE(git.must(repo, {"commit", "-qm", "first"}).ok());
    std::string id = start("write a.txt from the box", {{"isolation", "worktree"}});
    json done = server_->wait_done(id, 120);
    EXPECT_EQ(done["status"], "completed") << done.dump(2);
    EXPECT_EQ(read_text(repo + "/a.txt"), "a\n");
    ASSERT_TRUE(done.contains("changes")) << done.dump(2);
    EXPECT_NE(read_text(done["changes"]["patchFile"]).find("+from the box"), std::string::npos);
}

}  // namespace
}  // namespace cj::testing

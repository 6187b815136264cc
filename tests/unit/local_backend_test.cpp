// Tests of the local-detached backend module, loaded the way the server loads it. A small
// shell script stands in for claude-jobs-runner: it records its arguments, environment and pid
// in the job folder, then becomes "sleep", so the tests can look at the detached process.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/plugins/plugin_loader.h"
#include "support/text_files.h"

extern char** environ;

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::HostContext;
using claude_jobs::IJobBackend;
using claude_jobs::JobHandle;
using claude_jobs::JobSpec;
using claude_jobs::RunState;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cj::testing::read_text;

const char kStandInRunner[] = R"SH(#!/bin/sh
# Stand-in for claude-jobs-runner: apply --nice as the real one does, record what we were
# given, then wait to be stopped.
if [ "$1" = "--nice" ]; then
  renice -n "$2" -p $$ >/dev/null
  shift 2
fi
jobdir="$2"
printf '%s\n' "$@" > "$jobdir/args"
env > "$jobdir/env"
echo $$ > "$jobdir/pid.tmp"
mv "$jobdir/pid.tmp" "$jobdir/pid"
exec sleep 30
)SH";

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// Fields of /proc/<pid>/stat: field N of proc(5) is element N-1. Empty when there is no
// process.
std::vector<std::string> proc_stat(pid_t pid) {
    std::string text = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = text.rfind(')');
    if (close == std::string::npos) return {};
    std::vector<std::string> fields = {std::to_string(pid), "(comm)"};
    std::istringstream rest(text.substr(close + 1));
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}

std::uint64_t start_time(pid_t pid) {
    auto fields = proc_stat(pid);
    return fields.size() > 22 ? std::stoull(fields[21]) : 0;
}

bool gone(pid_t pid) {
    auto fields = proc_stat(pid);
    return fields.size() < 3 || fields[2] == "Z" || fields[2] == "X";
}

std::string comm(pid_t pid) {
    std::string name = read_text("/proc/" + std::to_string(pid) + "/comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    return name;
}

std::string state_json(pid_t pid, std::uint64_t startTime, const std::string& bootId,
                       const std::string& jobDir) {
    return nlohmann::json{
        {"runnerPid", pid}, {"runnerStartTime", startTime}, {"bootId", bootId}, {"jobDir", jobDir}}
        .dump();
}

std::string boot_id() {
    std::string id = read_text("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
}

// Our children that ended and were never reaped (looked up, not waited for, so that other
// tests' children are left alone).
int zombie_children() {
    int count = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto fields = proc_stat(std::stoi(name));
        if (fields.size() > 3 && fields[2] == "Z" && std::stoi(fields[3]) == ::getpid()) ++count;
    }
    return count;
}

// A process of the test's own: "sleep 30" in a new process group, to stand for a job.
pid_t spawn_sleeper() {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    const char* argv[] = {"/bin/sleep", "30", nullptr};
    pid_t pid = 0;
    int rc =
        posix_spawn(&pid, "/bin/sleep", nullptr, &attr, const_cast<char* const*>(argv), environ);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -1;
}

// Whether our own child ended, and how; waits at most `limit`.
bool reaped(pid_t pid, int& status, std::chrono::milliseconds limit) {
    return wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
}

class LocalBackendTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "cj-local-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        runner_ = root_ + "/fake-runner";
        std::ofstream(runner_) << kStandInRunner;
        fs::permissions(runner_, fs::perms::owner_all);
        registry_.scan({BUILD_PLUGIN_DIR});
        backend_ = make_backend("{}", runner_);
        ASSERT_TRUE(backend_);
    }

    void TearDown() override {
        // Whatever a failed test left running.
        for (const auto& [pid, started] : launched_) {
            // Never 0 or -1: kill() would take them as "my group" or "everyone".
            if (pid > 1 && start_time(pid) == started) ::kill(pid, SIGKILL);
        }
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    std::shared_ptr<IJobBackend> make_backend(const std::string& settings,
                                              const std::string& runnerPath) {
        auto created = registry_.create("local-detached");
        EXPECT_TRUE(created.ok()) << created.error().message;
        if (!created.ok()) return nullptr;
        HostContext host{"local", runnerPath, root_, "test"};
        auto configured = (*created)->configure(settings, host);
        EXPECT_TRUE(configured.ok()) << configured.error().message;
        return *created;
    }

    JobSpec make_spec(const std::string& jobId) {
        JobSpec spec;
        spec.jobId = jobId;
        spec.jobDir = root_ + "/jobs/" + jobId;
        fs::create_directories(spec.jobDir);
        fs::permissions(spec.jobDir, fs::perms::owner_all);
        spec.workFolder = root_;
        spec.claudePath = "claude";
        spec.claudeArgs = {"-p", "--output-format", "stream-json"};
        spec.env = {"PATH=/usr/bin:/bin", "CJ_SPEC=1"};
        spec.timeoutSec = 60;
        return spec;
    }

    // Starts a job and waits until the stand-in has become "sleep"; returns its pid.
    pid_t start_running(IJobBackend& backend, const JobSpec& spec, JobHandle* handle = nullptr) {
        auto started = backend.start(spec);
        EXPECT_TRUE(started.ok()) << started.error().message;
        if (!started.ok()) return -1;
        if (handle) *handle = *started;
        std::string pidFile = spec.jobDir + "/pid";
        EXPECT_TRUE(wait_until([&] { return fs::exists(pidFile); })) << "the runner never ran";
        pid_t pid = std::atoi(read_text(pidFile).c_str());
        EXPECT_GT(pid, 1);
        if (pid <= 1) return -1;
        launched_.emplace_back(pid, start_time(pid));
        EXPECT_TRUE(wait_until([&] { return comm(pid) == "sleep"; })) << comm(pid);
        return pid;
    }

    std::string root_;
    std::string runner_;
    cj::plugins::PluginRegistry registry_;
    std::shared_ptr<IJobBackend> backend_;
    std::vector<std::pair<pid_t, std::uint64_t>> launched_;
};

TEST_F(LocalBackendTest, DescribesItself) {
    EXPECT_EQ(backend_->info().plugin, "local-detached");
    auto caps = backend_->capabilities();
    EXPECT_TRUE(caps.survivesServerRestart);
    EXPECT_FALSE(caps.attach);
    EXPECT_FALSE(caps.sendInput);
    auto health = backend_->health();
    EXPECT_TRUE(health.ok()) << health.error().message;
}

TEST_F(LocalBackendTest, StartsADetachedRunnerThatInheritsNothing) {
    // Descriptors a careless launcher would pass on: none of them has CLOEXEC.
    int extra = ::open("/dev/null", O_RDONLY);
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    ASSERT_GE(extra, 0);

    JobSpec spec = make_spec("detached");
    auto before = std::chrono::steady_clock::now();
    auto started = backend_->start(spec);
    auto took = std::chrono::steady_clock::now() - before;
    ::close(extra);
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_LT(took, 2s);
    EXPECT_EQ(started->jobId, "detached");
    EXPECT_EQ(started->instanceName, "local");
    EXPECT_EQ(started->stateVersion, 1u);

    std::string pidFile = spec.jobDir + "/pid";
    ASSERT_TRUE(wait_until([&] { return fs::exists(pidFile); }));
    pid_t pid = std::atoi(read_text(pidFile).c_str());
    launched_.emplace_back(pid, start_time(pid));
    ASSERT_TRUE(wait_until([&] { return comm(pid) == "sleep"; }));

    // The handle names this very process.
    auto state = nlohmann::json::parse(started->backendState, nullptr, false);
    ASSERT_TRUE(state.is_object()) << started->backendState;
    EXPECT_EQ(state["runnerPid"], pid);
    EXPECT_EQ(state["runnerStartTime"], start_time(pid));
    EXPECT_EQ(state["bootId"], boot_id());
    EXPECT_EQ(state["jobDir"], spec.jobDir);

    // Its own session.
    EXPECT_EQ(::getsid(pid), pid);

    // Exactly stdin, stdout and stderr, all /dev/null.
    std::set<std::string> fds;
    for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        fds.insert(entry.path().filename().string());
        EXPECT_EQ(fs::read_symlink(entry.path()).string(), "/dev/null") << entry.path();
    }
    EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));

    // The runner's command line.
    std::string args = read_text(spec.jobDir + "/args");
    EXPECT_EQ(args, "--job-dir\n" + spec.jobDir + "\n--cwd\n" + root_ +
                        "\n--timeout\n60\n--\nclaude\n-p\n--output-format\nstream-json\n");

    auto status = backend_->status("detached");
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->state, RunState::Running);

    auto again = backend_->start(spec);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

TEST_F(LocalBackendTest, StopEndsTheRunnerAndLeavesACancelRequest) {
    JobSpec spec = make_spec("stopped");
    pid_t pid = start_running(*backend_, spec);
    ASSERT_GT(pid, 1);
    ASSERT_EQ(backend_->status("stopped")->state, RunState::Running);

    auto before = std::chrono::steady_clock::now();
    auto stopped = backend_->stop("stopped", 3);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;

    std::string cancel = spec.jobDir + "/cancel.json";
    ASSERT_TRUE(fs::exists(cancel));
    EXPECT_EQ(nlohmann::json::parse(read_text(cancel), nullptr, false),
              nlohmann::json({{"graceSec", 3}}));
    EXPECT_EQ(fs::status(cancel).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    // No temp file is left behind.
    int files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(spec.jobDir)) ++files;
    EXPECT_EQ(files, 4);  // args, env, pid, cancel.json

    ASSERT_TRUE(wait_until([&] { return gone(pid); })) << "the runner is still alive";
    // The backend started it, so the backend collects it: no zombie stays behind.
    EXPECT_TRUE(wait_until([&] { return !fs::exists("/proc/" + std::to_string(pid)); }, 5s))
        << "the ended runner was left a zombie";
    EXPECT_EQ(zombie_children(), 0);
    auto status = backend_->status("stopped");
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, RunState::Lost);
    EXPECT_EQ(status->reason,
              "supervisor (pid " + std::to_string(pid) + ") vanished without recording an exit");

    // Stopping what has ended is a success that does nothing.
    EXPECT_TRUE(backend_->stop("stopped", 3).ok());
}

TEST_F(LocalBackendTest, RecoversInAFreshInstance) {
    JobSpec spec = make_spec("recovered");
    JobHandle handle;
    pid_t pid = start_running(*backend_, spec, &handle);
    ASSERT_GT(pid, 1);

    auto fresh = make_backend("{}", runner_);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status("recovered").error().code, ErrorCode::NotFound);
    ASSERT_TRUE(fresh->recover(handle).ok());
    ASSERT_TRUE(fresh->recover(handle).ok());  // idempotent
    auto status = fresh->status("recovered");
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->state, RunState::Running);

    ASSERT_TRUE(fresh->stop("recovered", 1).ok());
    ASSERT_TRUE(wait_until([&] { return gone(pid); }));
    EXPECT_EQ(fresh->status("recovered")->state, RunState::Lost);
    EXPECT_EQ(backend_->status("recovered")->state, RunState::Lost);

    // destroy() forgets the job.
    EXPECT_TRUE(fresh->destroy("recovered").ok());
    EXPECT_EQ(fresh->status("recovered").error().code, ErrorCode::NotFound);
    EXPECT_TRUE(fresh->destroy("recovered").ok());
}

TEST_F(LocalBackendTest, APidWithAnotherStartTimeIsNotTheJob) {
    pid_t sleeper = spawn_sleeper();
    ASSERT_GT(sleeper, 1);
    std::uint64_t started = start_time(sleeper);
    std::string jobDir = make_spec("forged").jobDir;

    // The genuine identity is taken for the job, which shows the check below can fail.
    ASSERT_TRUE(
        backend_->recover({"genuine", "local", 1, state_json(sleeper, started, boot_id(), jobDir)})
            .ok());
    EXPECT_EQ(backend_->status("genuine")->state, RunState::Running);

    ASSERT_TRUE(
        backend_
            ->recover({"forged", "local", 1, state_json(sleeper, started + 1, boot_id(), jobDir)})
            .ok());
    auto status = backend_->status("forged");
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, RunState::Lost);
    EXPECT_EQ(status->reason, "supervisor (pid " + std::to_string(sleeper) +
                                  ") vanished without recording an exit");
    // Stopping it must not touch the process that merely has the same pid.
    ASSERT_TRUE(backend_->stop("forged", 0).ok());
    int waitStatus = 0;
    EXPECT_FALSE(reaped(sleeper, waitStatus, 300ms));
    EXPECT_FALSE(fs::exists(jobDir + "/cancel.json"));

    ::kill(sleeper, SIGKILL);
    EXPECT_TRUE(reaped(sleeper, waitStatus, 5s));
}

TEST_F(LocalBackendTest, AnotherBootIdMeansTheMachineWasRebooted) {
    pid_t sleeper = spawn_sleeper();
    ASSERT_GT(sleeper, 1);
    std::string jobDir = make_spec("rebooted").jobDir;
    ASSERT_TRUE(backend_
                    ->recover({"rebooted", "local", 1,
                               state_json(sleeper, start_time(sleeper), "another-boot", jobDir)})
                    .ok());
    auto status = backend_->status("rebooted");
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(status->state, RunState::Lost);
    EXPECT_EQ(status->reason, "supervisor (pid " + std::to_string(sleeper) +
                                  ") vanished without recording an exit: the machine was "
                                  "rebooted");
    ASSERT_TRUE(backend_->stop("rebooted", 0).ok());
    int waitStatus = 0;
    EXPECT_FALSE(reaped(sleeper, waitStatus, 300ms));
    ::kill(sleeper, SIGKILL);
    EXPECT_TRUE(reaped(sleeper, waitStatus, 5s));
}

TEST_F(LocalBackendTest, StopKillsTheGroupOfAJobItsRunnerAbandoned) {
    pid_t job = spawn_sleeper();
    ASSERT_GT(job, 1);
    std::string jobDir = make_spec("abandoned").jobDir;
    // The runner recorded its child, then died (its identity no longer matches anything).
    std::ofstream(jobDir + "/runner.json") << nlohmann::json{
        {"childPgid", job},
        {"childPid", job},
        {"childStartTime", start_time(job)}}.dump();
    ASSERT_TRUE(backend_
                    ->recover({"abandoned", "local", 1,
                               state_json(job, start_time(job) + 1, boot_id(), jobDir)})
                    .ok());
    ASSERT_TRUE(backend_->stop("abandoned", 10).ok());
    int waitStatus = 0;
    ASSERT_TRUE(reaped(job, waitStatus, 5s)) << "the abandoned job was left running";
    EXPECT_TRUE(WIFSIGNALED(waitStatus));
    EXPECT_EQ(WTERMSIG(waitStatus), SIGKILL);
}

TEST_F(LocalBackendTest, StopSparesAProcessThatOnlyReusesTheRecordedPid) {
    pid_t other = spawn_sleeper();
    ASSERT_GT(other, 1);
    std::string jobDir = make_spec("reused").jobDir;
    std::ofstream(jobDir + "/runner.json") << nlohmann::json{
        {"childPgid", other},
        {"childPid", other},
        {"childStartTime", start_time(other) + 1}}.dump();
    ASSERT_TRUE(backend_
                    ->recover({"reused", "local", 1,
                               state_json(other, start_time(other) + 1, boot_id(), jobDir)})
                    .ok());
    ASSERT_TRUE(backend_->stop("reused", 10).ok());
    int waitStatus = 0;
    EXPECT_FALSE(reaped(other, waitStatus, 300ms));
    ::kill(other, SIGKILL);
    EXPECT_TRUE(reaped(other, waitStatus, 5s));
}

TEST_F(LocalBackendTest, UnknownJobsAreNotFound) {
    EXPECT_EQ(backend_->status("nope").error().code, ErrorCode::NotFound);
    EXPECT_EQ(backend_->stop("nope", 1).error().code, ErrorCode::NotFound);
}

TEST_F(LocalBackendTest, AMissingRunnerIsAClearError) {
    std::string missing = root_ + "/no-such-runner";
    auto backend = make_backend("{}", missing);
    ASSERT_TRUE(backend);
    auto health = backend->health();
    ASSERT_FALSE(health.ok());
    EXPECT_EQ(health.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(health.error().message.rfind("cannot run claude-jobs-runner at " + missing +
                                               ": No such file or directory; reinstall",
                                           0),
              0u)
        << health.error().message;

    auto before = std::chrono::steady_clock::now();
    auto started = backend->start(make_spec("missing"));
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(started.error().message,
              "cannot run claude-jobs-runner at " + missing + ": No such file or directory");
    EXPECT_EQ(backend->status("missing").error().code, ErrorCode::NotFound);
}

TEST_F(LocalBackendTest, ARunnerThatIsNotExecutableIsAClearError) {
    std::string plain = root_ + "/plain-file";
    std::ofstream(plain) << "#!/bin/sh\n";
    fs::permissions(plain, fs::perms::owner_read | fs::perms::owner_write);
    auto backend = make_backend("{}", plain);
    ASSERT_TRUE(backend);
    if (::access(plain.c_str(), X_OK) == 0) GTEST_SKIP() << "root may execute anything here";
    auto health = backend->health();
    ASSERT_FALSE(health.ok());
    EXPECT_NE(health.error().message.find("chmod +x " + plain), std::string::npos)
        << health.error().message;
    auto started = backend->start(make_spec("plain"));
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message,
              "cannot run claude-jobs-runner at " + plain + ": Permission denied");
}

TEST_F(LocalBackendTest, ARelativeRunnerPathIsRefused) {
    auto backend = make_backend("{}", "claude-jobs-runner");
    ASSERT_TRUE(backend);
    EXPECT_EQ(backend->health().error().code, ErrorCode::Unavailable);
    auto started = backend->start(make_spec("relative"));
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, ErrorCode::Unavailable);
}

TEST_F(LocalBackendTest, RecoverRefusesStateItCannotRead) {
    const std::string bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        R"({"runnerPid": 1, "runnerStartTime": 5, "bootId": "b", "jobDir": "/j"})",
        R"({"runnerPid": -1, "runnerStartTime": 5, "bootId": "b", "jobDir": "/j"})",
        R"({"runnerPid": 100, "runnerStartTime": "5", "bootId": "b", "jobDir": "/j"})",
        R"({"runnerPid": 100, "runnerStartTime": 5, "bootId": "b", "jobDir": "rel"})"};
    for (const auto& state : bad) {
        auto recovered = backend_->recover({"bad", "local", 1, state});
        ASSERT_FALSE(recovered.ok()) << state;
        EXPECT_EQ(recovered.error().code, ErrorCode::InvalidArgument) << state;
    }
    std::string good = state_json(100, 5, "b", "/j");
    EXPECT_TRUE(backend_->recover({"good", "local", 1, good}).ok());
    EXPECT_EQ(backend_->recover({"future", "local", 2, good}).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(backend_->status("bad").error().code, ErrorCode::NotFound);
}

TEST_F(LocalBackendTest, ConfigureRefusesUnknownAndInvalidSettings) {
    auto created = registry_.create("local-detached");
    ASSERT_TRUE(created.ok());
    HostContext host{"local", runner_, root_, "test"};
    auto unknown = (*created)->configure(R"({"nice": 3})", host);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(unknown.error().message, "unknown key \"nice\" (known: niceness, env)");
    EXPECT_FALSE((*created)->configure(R"({"niceness": 20})", host).ok());
    EXPECT_FALSE((*created)->configure(R"({"niceness": -1})", host).ok());
    EXPECT_FALSE((*created)->configure(R"({"niceness": "5"})", host).ok());
    EXPECT_FALSE((*created)->configure(R"({"env": ["A=B"]})", host).ok());
    EXPECT_FALSE((*created)->configure(R"({"env": {"A": 1}})", host).ok());
    EXPECT_FALSE((*created)->configure(R"({"env": {"A=B": "c"}})", host).ok());
    EXPECT_FALSE((*created)->configure("not json", host).ok());
    EXPECT_TRUE((*created)->configure(R"({"niceness": 19, "env": {"A": "b"}})", host).ok());
}

TEST_F(LocalBackendTest, InstanceSettingsReachTheJob) {
    ::setenv("CJ_SERVER_ONLY", "leak", 1);
    auto backend = make_backend(
        R"({"niceness": 5, "env": {"CJ_INSTANCE": "fast", "CJ_BOTH": "instance"}})", runner_);
    ASSERT_TRUE(backend);
    JobSpec spec = make_spec("settings");
    spec.env.push_back("CJ_BOTH=spec");
    pid_t pid = start_running(*backend, spec);
    ::unsetenv("CJ_SERVER_ONLY");
    ASSERT_GT(pid, 1);

    std::string env = read_text(spec.jobDir + "/env");
    EXPECT_NE(env.find("CJ_SPEC=1\n"), std::string::npos) << env;
    EXPECT_NE(env.find("CJ_INSTANCE=fast\n"), std::string::npos) << env;
    EXPECT_NE(env.find("CJ_BOTH=instance\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("CJ_BOTH=spec"), std::string::npos) << env;
    // The job gets exactly the environment it was given, not the server's.
    EXPECT_EQ(env.find("CJ_SERVER_ONLY"), std::string::npos) << env;

    auto fields = proc_stat(pid);
    ASSERT_GT(fields.size(), 18u);
    EXPECT_EQ(fields[18], "5");  // field 19: nice

    ASSERT_TRUE(backend->stop("settings", 0).ok());
    EXPECT_TRUE(wait_until([&] { return gone(pid); }));
}

}  // namespace

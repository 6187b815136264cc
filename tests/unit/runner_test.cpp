// Tests of claude-jobs-runner, the per-job supervisor, driven as a real process with
// fake-claude as the job's program: what it records (runner.json, exit.json), how it ends a
// job (time limit, cancel, leftovers in the process group and out of it), what the job
// inherits, where it runs, and what it records when the disk is full.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/small_disk.h"
#include "support/text_files.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using cj::testing::has;
using cj::testing::read_text;

const std::string kRunner = BUILD_BIN_DIR "/claude-jobs-runner";
const std::string kFakeClaude = BUILD_BIN_DIR "/fake-claude";

// Polls cond every few milliseconds until it holds or limit passes; true when it held.
bool runner_wait_until(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (!cond()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

bool process_gone(pid_t pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Field 22 of /proc/<pid>/stat, counted after the last ')' as the command name may hold spaces.
long long proc_start_time(pid_t pid) {
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22; ++i) fields >> field;
    return std::stoll(field);
}

// A fresh job folder (0700) under /tmp, removed afterwards.
class JobDir {
  public:
    JobDir() {
        char tmpl[] = "/tmp/cj-runner-test-XXXXXX";
        const char* made = ::mkdtemp(tmpl);
        if (made != nullptr) path_ = made;
    }
    ~JobDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    JobDir(const JobDir&) = delete;
    JobDir& operator=(const JobDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    bool has(const std::string& name) const { return std::filesystem::exists(file(name)); }
    std::string read(const std::string& name) const { return read_text(file(name)); }
    void write(const std::string& name, const std::string& content) const {
        std::ofstream(file(name), std::ios::binary) << content;
    }
    json read_json(const std::string& name) const {
        return json::parse(read(name), nullptr, false);
    }
    // The pid written to a file, once the whole line is there.
    std::optional<pid_t> wait_for_pid(const std::string& name) const {
        auto complete = [&] {
            std::string text = read(name);
            return text.size() > 1 && text.back() == '\n';
        };
        if (!runner_wait_until(complete, 5s)) return std::nullopt;
        return static_cast<pid_t>(std::stol(read(name)));
    }
    // Events of events.jsonl, one per line.
    std::vector<json> events() const {
        std::vector<json> out;
        std::istringstream lines(read("events.jsonl"));
        for (std::string line; std::getline(lines, line);) {
            out.push_back(json::parse(line, nullptr, false));
        }
        return out;
    }

  private:
    std::string path_;
};

// The runner started the way a backend starts it: its own session, stdin and stdout on
// /dev/null. The destructor makes sure no runner outlives its test.
class Runner {
  public:
    // sigchldIgnored: start it with SIGCHLD ignored, a disposition exec passes on.
    explicit Runner(const std::vector<std::string>& args,
                    const std::vector<std::string>& extraEnv = {}, bool sigchldIgnored = false) {
        std::vector<std::string> argvStrings{kRunner};
        argvStrings.insert(argvStrings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argvStrings) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> envStrings;
        for (char** e = environ; *e != nullptr; ++e) envStrings.emplace_back(*e);
        envStrings.insert(envStrings.end(), extraEnv.begin(), extraEnv.end());
        std::vector<char*> envp;
        for (auto& e : envStrings) envp.push_back(e.data());
        envp.push_back(nullptr);

        started_ = Clock::now();
        pid_ = ::fork();
        if (pid_ == 0) {
            // Only async-signal-safe calls here: the test binary may have threads.
            ::setsid();
            int null = ::open("/dev/null", O_RDWR);
            ::dup2(null, 0);
            ::dup2(null, 1);
            if (null > 2) ::close(null);
            if (sigchldIgnored) ::signal(SIGCHLD, SIG_IGN);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
    }
    ~Runner() {
        if (pid_ <= 0 || status_) return;
        ::kill(pid_, SIGTERM);
        if (!wait(3s)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    pid_t pid() const { return pid_; }

    // Waits (bounded) for the runner to exit; true when it did.
    bool wait(std::chrono::milliseconds limit = 10s) {
        if (status_) return true;
        bool done = runner_wait_until(
            [&] {
                int status = 0;
                if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
                status_ = status;
                ended_ = Clock::now();
                return true;
            },
            limit);
        return done;
    }
    // Its exit code; -1 while running or when a signal ended it.
    int exit_code() const { return status_ && WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1; }
    std::chrono::milliseconds elapsed() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(ended_ - started_);
    }

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    Clock::time_point started_;
    Clock::time_point ended_;
};

std::vector<std::string> job_args(const JobDir& dir, std::vector<std::string> runnerOptions = {},
                                  std::vector<std::string> programArgs = {}) {
    std::vector<std::string> args{"--job-dir", dir.path()};
    // Relative paths in directives land in the job folder unless a test picks a work folder.
    if (std::find(runnerOptions.begin(), runnerOptions.end(), "--cwd") == runnerOptions.end()) {
        args.insert(args.end(), {"--cwd", dir.path()});
    }
    args.insert(args.end(), runnerOptions.begin(), runnerOptions.end());
    args.push_back("--");
    args.push_back(kFakeClaude);
    args.insert(args.end(), programArgs.begin(), programArgs.end());
    return args;
}

struct TerminalRun {
    pid_t pid = -1;
    bool ended = false;  // within the limit; else it was killed
    int status = 0;      // as waitpid reported it
};

// Runs args (argv[0] first) in a session whose controlling terminal is a fresh pty, as in a
// tmux pane, until it exits (killed after 10 s).
TerminalRun run_on_a_terminal(std::vector<std::string> args) {
    TerminalRun run;
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return run;
    std::string slave = ::ptsname(master);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    run.pid = ::fork();
    if (run.pid == 0) {
        ::setsid();
        int fd = ::open(slave.c_str(), O_RDWR);
        ::dup2(fd, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    run.ended =
        runner_wait_until([&] { return ::waitpid(run.pid, &run.status, WNOHANG) == run.pid; }, 10s);
    if (!run.ended) {
        ::kill(run.pid, SIGKILL);
        ::waitpid(run.pid, &run.status, 0);
    }
    ::close(master);
    return run;
}

class RunnerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
        ASSERT_EQ(::access(kRunner.c_str(), X_OK), 0) << kRunner;
        ASSERT_EQ(::access(kFakeClaude.c_str(), X_OK), 0) << kFakeClaude;
    }

    JobDir dir_;
};

TEST_F(RunnerTest, CompletedJobRecordsExitCodeZeroAndTheEvents) {
    dir_.write("prompt.txt", "say hello\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 0);

    json exit = dir_.read_json("exit.json");
    ASSERT_FALSE(exit.is_discarded()) << dir_.read("exit.json");
    EXPECT_EQ(exit["exitCode"], 0);
    EXPECT_TRUE(exit["signal"].is_null());
    EXPECT_TRUE(exit["signalName"].is_null());
    EXPECT_EQ(exit["timedOut"], false);
    EXPECT_EQ(exit["cancelled"], false);
    EXPECT_TRUE(exit["launchError"].is_null());
    EXPECT_EQ(exit["reason"], "exit code 0");
    EXPECT_LE(exit["startedAt"].get<long long>(), exit["endedAt"].get<long long>());

    std::vector<json> events = dir_.events();
    ASSERT_EQ(events.size(), 3u) << dir_.read("events.jsonl");
    EXPECT_EQ(events[0]["type"], "system");
    EXPECT_EQ(events[1]["message"]["content"][0]["text"], "hello");
    EXPECT_EQ(events[2]["type"], "result");
    EXPECT_EQ(events[2]["is_error"], false);
}

TEST_F(RunnerTest, NiceLowersThePriorityOfTheWholeJob) {
    dir_.write("prompt.txt", "sleep 0.5\nsay done\n");
    Runner runner(job_args(dir_, {"--nice", "3"}));
    ASSERT_TRUE(runner_wait_until([&] { return dir_.has("runner.json"); }, 5s));
    json info = dir_.read_json("runner.json");
    for (const char* who : {"runnerPid", "childPid"}) {
        std::string stat = read_text("/proc/" + std::to_string(info[who].get<int>()) + "/stat");
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::vector<std::string> after_comm{std::istream_iterator<std::string>(fields), {}};
        ASSERT_GT(after_comm.size(), 16u) << stat;
        EXPECT_EQ(after_comm[16], "3") << "field 19, nice, of " << who;
    }
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 0);
    Runner bad(job_args(dir_, {"--nice", "20"}));
    ASSERT_TRUE(bad.wait());
    EXPECT_EQ(bad.exit_code(), 2) << "a niceness out of range is a bad command line";
}

TEST_F(RunnerTest, RunnerJsonIdentifiesTheLiveProcesses) {
    dir_.write("prompt.txt", "pidfile claude.pid\nsleep 30\n");
    auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    Runner runner(job_args(dir_));
    std::optional<pid_t> claude = dir_.wait_for_pid("claude.pid");
    ASSERT_TRUE(claude);
    // Written by the runner after the exec, so it may land after the program's first steps.
    ASSERT_TRUE(runner_wait_until([&] { return dir_.has("runner.json"); }, 5s));

    json info = dir_.read_json("runner.json");
    ASSERT_FALSE(info.is_discarded()) << dir_.read("runner.json");
    EXPECT_EQ(info["runnerPid"], runner.pid());
    EXPECT_EQ(info["runnerStartTime"], proc_start_time(runner.pid()));
    EXPECT_EQ(info["childPid"], *claude);
    EXPECT_EQ(info["childPgid"], *claude);
    EXPECT_EQ(::getpgid(*claude), *claude);
    EXPECT_EQ(info["childStartTime"], proc_start_time(*claude));
    std::string bootId = read_text("/proc/sys/kernel/random/boot_id");
    bootId.erase(bootId.find_last_not_of("\n ") + 1);
    EXPECT_FALSE(bootId.empty());
    EXPECT_EQ(info["bootId"], bootId);
    EXPECT_EQ(info["program"], kFakeClaude);
    EXPECT_GE(info["startedAt"].get<long long>(), before);

    struct stat st {};
    ASSERT_EQ(::stat(dir_.file("runner.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    ::kill(runner.pid(), SIGTERM);
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(dir_.read_json("exit.json")["startedAt"], info["startedAt"]);
}

TEST_F(RunnerTest, NonZeroExitCodeIsRecorded) {
    dir_.write("prompt.txt", "say almost\nexit 3\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 3);
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["exitCode"], 3);
    EXPECT_EQ(exit["reason"], "exit code 3");
    EXPECT_EQ(exit["cancelled"], false);
}

TEST_F(RunnerTest, DeathBySignalIsRecorded) {
    dir_.write("prompt.txt", "die KILL\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 128 + SIGKILL);
    json exit = dir_.read_json("exit.json");
    EXPECT_TRUE(exit["exitCode"].is_null());
    EXPECT_EQ(exit["signal"], SIGKILL);
    EXPECT_EQ(exit["signalName"], "SIGKILL");
    EXPECT_EQ(exit["reason"], "killed by SIGKILL");
}

TEST_F(RunnerTest, MissingProgramIsALaunchError) {
    dir_.write("prompt.txt", "say hello\n");
    Runner runner({"--job-dir", dir_.path(), "--", "/nonexistent/claude", "-p"});
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 127);
    json exit = dir_.read_json("exit.json");
    ASSERT_FALSE(exit.is_discarded()) << dir_.read("exit.json");
    EXPECT_EQ(exit["launchError"],
              "cannot run claude: No such file or directory (/nonexistent/claude)");
    EXPECT_EQ(exit["reason"], exit["launchError"]);
    EXPECT_TRUE(exit["exitCode"].is_null());
    EXPECT_TRUE(exit["signal"].is_null());
    EXPECT_FALSE(dir_.has("runner.json"));
}

TEST_F(RunnerTest, MissingPromptIsALaunchError) {
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_NE(runner.exit_code(), 0);
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["launchError"], "cannot read prompt.txt: No such file or directory");
    EXPECT_FALSE(dir_.has("runner.json"));
}

TEST_F(RunnerTest, MissingWorkFolderIsALaunchError) {
    dir_.write("prompt.txt", "say hello\n");
    Runner runner(job_args(dir_, {"--cwd", dir_.file("no-such-folder")}));
    ASSERT_TRUE(runner.wait());
    EXPECT_NE(runner.exit_code(), 0);
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["launchError"], "cannot enter work folder " + dir_.file("no-such-folder") +
                                       ": No such file or directory");
}

TEST_F(RunnerTest, BadCommandLineIsRecordedAndRefused) {
    Runner runner({"--job-dir", dir_.path(), "--timeout", "soon", "--", kFakeClaude});
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 2);
    json exit = dir_.read_json("exit.json");
    ASSERT_TRUE(exit["launchError"].is_string()) << dir_.read("exit.json");
    EXPECT_EQ(exit["launchError"].get<std::string>().rfind("bad runner command line", 0), 0u);
}

TEST_F(RunnerTest, TerminalModeWithoutATerminalIsALaunchError) {
    dir_.write("prompt.txt", "say hello\n");
    Runner runner(job_args(dir_, {"--terminal"}));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 125);
    json exit = dir_.read_json("exit.json");
    ASSERT_TRUE(exit["launchError"].is_string()) << dir_.read("exit.json");
    EXPECT_NE(exit["launchError"].get<std::string>().find("needs a terminal"), std::string::npos);
}

// --terminal (the tmux backend's interactive mode): the program gets the runner's terminal as
// its stdio and is the terminal's foreground process group, in a group of its own; the job's
// log files are still created.
TEST_F(RunnerTest, TerminalModeMakesTheProgramTheTerminalsForegroundGroup) {
    std::string out = dir_.file("stat.txt");
    TerminalRun run = run_on_a_terminal(
        {kRunner, "--job-dir", dir_.path(), "--terminal", "--", "/bin/sh", "-c",
         "cat /proc/$$/stat > \"$0\"; test -t 0 && test -t 1 && echo tty >> \"$0\"", out});
    ASSERT_TRUE(run.ended);
    EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.status;
    std::string stat = dir_.read("stat.txt");
    std::size_t close = stat.rfind(')');
    ASSERT_NE(close, std::string::npos) << stat;
    std::istringstream fields(stat.substr(close + 2));
    std::string state, ppid, pgrp, session, ttyNr, tpgid;
    fields >> state >> ppid >> pgrp >> session >> ttyNr >> tpgid;
    EXPECT_NE(ttyNr, "0") << "the program has the terminal";
    EXPECT_EQ(pgrp, tpgid) << "its group is the terminal's foreground group";
    EXPECT_NE(pgrp, std::to_string(run.pid)) << "in a group of its own, not the runner's";
    EXPECT_NE(stat.find("\ntty\n"), std::string::npos) << "stdin and stdout are the terminal";
    EXPECT_TRUE(dir_.has("events.jsonl"));
    EXPECT_TRUE(dir_.has("stderr.log"));
    EXPECT_EQ(dir_.read_json("exit.json")["exitCode"], 0);
}

TEST_F(RunnerTest, WorkFolderIsTheProgramsCurrentDirectory) {
    JobDir work;
    dir_.write("prompt.txt", "touch marker\n");
    Runner runner(job_args(dir_, {"--cwd", work.path()}));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 0);
    EXPECT_TRUE(work.has("marker"));
    EXPECT_EQ(dir_.events().at(0)["cwd"], work.path());
}

TEST_F(RunnerTest, TimeoutEndsTheJobAndSaysSo) {
    dir_.write("prompt.txt", "sleep 30\n");
    Runner runner(job_args(dir_, {"--timeout", "1", "--grace", "5"}));
    ASSERT_TRUE(runner.wait());
    EXPECT_GE(runner.elapsed(), 950ms);
    EXPECT_LT(runner.elapsed(), 4s);  // fake-claude ends on SIGTERM; no need for SIGKILL
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["timedOut"], true);
    EXPECT_EQ(exit["cancelled"], false);
    EXPECT_EQ(exit["exitCode"], 143);
    EXPECT_EQ(exit["reason"], "ran past 1 s");
}

TEST_F(RunnerTest, CancelEndsTheWholeProcessGroup) {
    dir_.write("prompt.txt", "spawn-child 30 grandchild.pid\npidfile claude.pid\nsleep 30\n");
    Runner runner(job_args(dir_));
    std::optional<pid_t> grandchild = dir_.wait_for_pid("grandchild.pid");
    std::optional<pid_t> claude = dir_.wait_for_pid("claude.pid");
    ASSERT_TRUE(grandchild && claude);
    ASSERT_FALSE(process_gone(*grandchild));

    ASSERT_EQ(::kill(runner.pid(), SIGTERM), 0);
    ASSERT_TRUE(runner.wait(5s));
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["cancelled"], true);
    EXPECT_EQ(exit["timedOut"], false);
    EXPECT_EQ(exit["reason"], "cancelled");
    EXPECT_EQ(exit["exitCode"], 143);
    EXPECT_EQ(runner.exit_code(), 143);
    EXPECT_TRUE(runner_wait_until([&] { return process_gone(*grandchild); }, 2s));
    EXPECT_TRUE(process_gone(*claude));
    if (!process_gone(*grandchild)) ::kill(*grandchild, SIGKILL);
}

TEST_F(RunnerTest, LeftoversAreEndedWhenTheProgramExits) {
    dir_.write("prompt.txt", "spawn-child 30 grandchild.pid\nsay done\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait(5s));
    EXPECT_EQ(runner.exit_code(), 0);
    std::optional<pid_t> grandchild = dir_.wait_for_pid("grandchild.pid");
    ASSERT_TRUE(grandchild);
    EXPECT_TRUE(runner_wait_until([&] { return process_gone(*grandchild); }, 2s));
    if (!process_gone(*grandchild)) ::kill(*grandchild, SIGKILL);
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["reason"], "exit code 0");
    EXPECT_EQ(exit["cancelled"], false);
}

TEST_F(RunnerTest, IgnoredSigtermIsFollowedBySigkillAfterTheGraceFromCancelJson) {
    dir_.write("prompt.txt", "ignore-term\npidfile claude.pid\nsleep 30\n");
    Runner runner(job_args(dir_, {"--grace", "30"}));
    std::optional<pid_t> claude = dir_.wait_for_pid("claude.pid");
    ASSERT_TRUE(claude);
    dir_.write("cancel.json", R"({"graceSec": 1})");

    auto cancelledAt = Clock::now();
    ASSERT_EQ(::kill(runner.pid(), SIGTERM), 0);
    ASSERT_TRUE(runner.wait(10s));
    auto took = Clock::now() - cancelledAt;
    EXPECT_GE(took, 900ms);  // SIGTERM was ignored, so the grace was waited out
    EXPECT_LT(took, 5s);     // and it was cancel.json's 1 s, not --grace's 30 s
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["cancelled"], true);
    EXPECT_EQ(exit["reason"], "cancelled");
    EXPECT_EQ(exit["signal"], SIGKILL);
    EXPECT_EQ(exit["signalName"], "SIGKILL");
    EXPECT_TRUE(exit["exitCode"].is_null());
    EXPECT_EQ(runner.exit_code(), 128 + SIGKILL);
    EXPECT_TRUE(process_gone(*claude));
}

TEST_F(RunnerTest, ProgramSeesOnlyTheStandardDescriptors) {
    // A descriptor the runner inherits by mistake must reach neither the program nor stay open
    // in the runner itself.
    std::string leakPath = dir_.file("leaked.txt");
    int leaked = ::open(leakPath.c_str(), O_WRONLY | O_CREAT, 0600);  // no O_CLOEXEC on purpose
    ASSERT_GE(leaked, 3);
    dir_.write("prompt.txt", "fds " + dir_.file("fds.txt") + "\npidfile claude.pid\nsleep 30\n");
    Runner runner(job_args(dir_));
    ::close(leaked);
    ASSERT_TRUE(dir_.wait_for_pid("claude.pid"));

    EXPECT_EQ(dir_.read("fds.txt"), "0\n1\n2\n");
    std::string fdDir = "/proc/" + std::to_string(runner.pid()) + "/fd";
    for (const auto& entry : std::filesystem::directory_iterator(fdDir)) {
        std::error_code ec;
        EXPECT_NE(std::filesystem::read_symlink(entry.path(), ec).string(), leakPath)
            << "runner kept descriptor " << entry.path().filename();
    }
    ::kill(runner.pid(), SIGTERM);
    ASSERT_TRUE(runner.wait());
}

TEST_F(RunnerTest, PromptArrivesOnStdin) {
    dir_.write("prompt.txt", "hello from the prompt\nand a second line");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    std::vector<json> events = dir_.events();
    ASSERT_EQ(events.size(), 4u) << dir_.read("events.jsonl");
    EXPECT_EQ(events[1]["message"]["content"][0]["text"], "hello from the prompt");
    EXPECT_EQ(events[2]["message"]["content"][0]["text"], "and a second line");
    EXPECT_EQ(events[3]["result"], "and a second line");
}

TEST_F(RunnerTest, StderrGoesToItsOwnPrivateFile) {
    dir_.write("prompt.txt", "stderr something went wrong\nsay fine\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(dir_.read("stderr.log"), "something went wrong\n");
    EXPECT_EQ(dir_.read("events.jsonl").find("something went wrong"), std::string::npos);
    for (const char* name : {"events.jsonl", "stderr.log", "exit.json", "runner.json"}) {
        struct stat st {};
        ASSERT_EQ(::stat(dir_.file(name).c_str(), &st), 0) << name;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    }
}

TEST_F(RunnerTest, LogsAreAppendedToNotReplaced) {
    dir_.write("events.jsonl", "{\"type\":\"earlier\"}\n");
    dir_.write("prompt.txt", "say again\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    std::vector<json> events = dir_.events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[0]["type"], "earlier");
    EXPECT_EQ(events[1]["type"], "system");
}

TEST_F(RunnerTest, EnvironmentAndArgumentsPassThroughUnchanged) {
    dir_.write("prompt.txt",
               "env " + dir_.file("env.txt") + "\nargs " + dir_.file("args.txt") + "\n");
    Runner runner(job_args(dir_, {}, {"-p", "--output-format", "stream-json", "--verbose"}),
                  {"CJ_RUNNER_TEST_MARKER=a value with spaces"});
    ASSERT_TRUE(runner.wait());
    EXPECT_NE(dir_.read("env.txt").find("\nCJ_RUNNER_TEST_MARKER=a value with spaces\n"),
              std::string::npos);
    EXPECT_EQ(dir_.read("args.txt"),
              kFakeClaude + "\n-p\n--output-format\nstream-json\n--verbose\n");
}

TEST_F(RunnerTest, OutlivesItsParentAndObeysSignalsItInheritedIgnored) {
    // A shell starts the runner in the background with SIGTERM, SIGHUP and (being "&" in a
    // non-interactive shell) SIGINT ignored, and exits at once: the runner is orphaned.
    dir_.write("prompt.txt", "pidfile claude.pid\nsleep 30\n");
    std::vector<std::string> args{"-c", "trap '' TERM HUP; \"$@\" & echo $! > \"$0\"",
                                  dir_.file("runner.pid"), kRunner};
    std::vector<std::string> runnerArgs = job_args(dir_);
    args.insert(args.end(), runnerArgs.begin(), runnerArgs.end());
    std::vector<char*> argv{const_cast<char*>("sh")};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t shell = -1;
    ASSERT_EQ(posix_spawnp(&shell, "sh", nullptr, nullptr, argv.data(), environ), 0);
    int shellStatus = 0;
    ASSERT_EQ(::waitpid(shell, &shellStatus, 0), shell);

    std::optional<pid_t> runner = dir_.wait_for_pid("runner.pid");
    std::optional<pid_t> claude = dir_.wait_for_pid("claude.pid");
    ASSERT_TRUE(runner && claude);
    EXPECT_FALSE(process_gone(*runner));

    ASSERT_EQ(::kill(*runner, SIGINT), 0);
    bool recorded = runner_wait_until([&] { return dir_.has("exit.json"); }, 5s);
    if (!recorded) ::kill(*runner, SIGKILL);
    ASSERT_TRUE(recorded);
    EXPECT_EQ(dir_.read_json("exit.json")["cancelled"], true);
    EXPECT_TRUE(runner_wait_until([&] { return process_gone(*claude); }, 2s));
}

TEST_F(RunnerTest, RecordsTheExitEvenWithSigchldInheritedIgnored) {
    // With SIGCHLD ignored the kernel would reap the program itself and its status be lost.
    dir_.write("prompt.txt", "exit 5\n");
    Runner runner(job_args(dir_), {}, /*sigchldIgnored=*/true);
    ASSERT_TRUE(runner.wait(5s));
    EXPECT_EQ(runner.exit_code(), 5);
    EXPECT_EQ(dir_.read_json("exit.json")["exitCode"], 5);
}

// --- Processes that left the job's process group -----------------------------------------
// A child that called setsid, and a daemon that forked twice, are out of the group the runner
// signals; they must end with the job all the same (the runner is their subreaper), before
// exit.json is written, whether the job was cancelled, ran out of time or exited.

struct Escapees {
    pid_t setsid = -1;
    pid_t daemon = -1;
};

// The prompt lines that leave both behind (ignoring SIGTERM when stubborn), then run `rest`.
std::string escapee_prompt(const std::string& rest, bool stubborn = false) {
    return std::string(stubborn ? "ignore-term\n" : "") +
           "spawn-setsid 30 setsid.pid\nspawn-daemon 30 daemon.pid\n" + rest;
}

class RunnerEscapeTest : public RunnerTest {
  protected:
    void TearDown() override {
        // Whatever a failed test left running must not outlive it.
        for (pid_t pid : {escapees_.setsid, escapees_.daemon})
            if (pid > 0 && !process_gone(pid)) ::kill(pid, SIGKILL);
    }
    // Both pids, once written; false when either never was.
    bool wait_escapees() {
        auto setsid = dir_.wait_for_pid("setsid.pid");
        auto daemon = dir_.wait_for_pid("daemon.pid");
        if (setsid) escapees_.setsid = *setsid;
        if (daemon) escapees_.daemon = *daemon;
        return setsid && daemon;
    }
    // They left the job's session (so the group's signal misses them) and run.
    void expect_escaped() {
        for (pid_t pid : {escapees_.setsid, escapees_.daemon}) {
            EXPECT_FALSE(process_gone(pid)) << pid;
            EXPECT_EQ(::getsid(pid), ::getpgid(pid)) << "pid " << pid << " leads its own session";
        }
    }
    // Gone by the time the runner has exited: no wait beyond that.
    void expect_gone_with_the_runner() {
        EXPECT_TRUE(process_gone(escapees_.setsid)) << "the setsid child outlived the job";
        EXPECT_TRUE(process_gone(escapees_.daemon)) << "the double-forked daemon outlived the job";
    }

    Escapees escapees_;
};

TEST_F(RunnerEscapeTest, CancelEndsProcessesThatLeftTheGroup) {
    dir_.write("prompt.txt", escapee_prompt("pidfile claude.pid\nsleep 30\n"));
    Runner runner(job_args(dir_));
    ASSERT_TRUE(wait_escapees());
    ASSERT_TRUE(dir_.wait_for_pid("claude.pid"));
    expect_escaped();
    ASSERT_EQ(::kill(runner.pid(), SIGTERM), 0);
    ASSERT_TRUE(runner.wait(8s));
    expect_gone_with_the_runner();
    EXPECT_EQ(dir_.read_json("exit.json")["reason"], "cancelled");
    EXPECT_LT(runner.elapsed(), 8s);
}

TEST_F(RunnerEscapeTest, TimeoutEndsProcessesThatLeftTheGroup) {
    dir_.write("prompt.txt", escapee_prompt("sleep 30\n"));
    Runner runner(job_args(dir_, {"--timeout", "1", "--grace", "1"}));
    ASSERT_TRUE(wait_escapees());
    expect_escaped();
    ASSERT_TRUE(runner.wait(8s));
    expect_gone_with_the_runner();
    EXPECT_EQ(dir_.read_json("exit.json")["reason"], "ran past 1 s");
}

TEST_F(RunnerEscapeTest, ExitEndsProcessesThatLeftTheGroupEvenIfTheyIgnoreSigterm) {
    dir_.write("prompt.txt", escapee_prompt("sleep 0.5\nsay done\n", /*stubborn=*/true));
    Runner runner(job_args(dir_));
    ASSERT_TRUE(wait_escapees());
    expect_escaped();
    ASSERT_TRUE(runner.wait(8s));
    expect_gone_with_the_runner();
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["reason"], "exit code 0");
    EXPECT_EQ(exit["cancelled"], false);
    // SIGTERM was ignored: the leftovers' grace (1 s) was waited out, then SIGKILL.
    EXPECT_GE(runner.elapsed(), 1s);
}

// --terminal (the tmux backend's interactive mode) ends them the same way.
TEST_F(RunnerEscapeTest, TerminalModeEndsProcessesThatLeftTheGroup) {
    // setsid(1) in the background of a non-interactive shell calls setsid() itself (no fork),
    // so $! is the escapee; the subshell's one is orphaned at once (a daemon).
    std::string script =
        "setsid sleep 30 & echo $! > \"$0/setsid.pid\"; "
        "(setsid sleep 30 & echo $! > \"$0/daemon.pid\"); sleep 0.5; exit 0";
    TerminalRun run = run_on_a_terminal({kRunner, "--job-dir", dir_.path(), "--terminal", "--",
                                         "/bin/sh", "-c", script, dir_.path()});
    ASSERT_TRUE(wait_escapees());
    ASSERT_TRUE(run.ended);
    expect_gone_with_the_runner();
    EXPECT_EQ(dir_.read_json("exit.json")["exitCode"], 0);
}

// --- Where the job runs ------------------------------------------------------------------
// The runner enters the work folder without following a symlink anywhere on its path: a
// folder swapped for a symlink after the server checked it makes the job fail, not run
// elsewhere.

TEST_F(RunnerTest, WorkFolderThatIsASymlinkIsRefused) {
    JobDir outside;
    std::string link = dir_.file("work");
    ASSERT_EQ(::symlink(outside.path().c_str(), link.c_str()), 0);
    dir_.write("prompt.txt", "touch marker\n");
    Runner runner(job_args(dir_, {"--cwd", link}));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 125);
    json exit = dir_.read_json("exit.json");
    ASSERT_TRUE(exit["launchError"].is_string()) << dir_.read("exit.json");
    EXPECT_EQ(exit["launchError"],
              "cannot enter work folder " + link +
                  ": it, or a folder on its path, is a symbolic link; a job runs only in the "
                  "real folder it was accepted for");
    EXPECT_FALSE(outside.has("marker")) << "the job ran in the symlink's target";
    EXPECT_FALSE(dir_.has("runner.json"));
}

TEST_F(RunnerTest, WorkFolderBelowASymlinkIsRefused) {
    JobDir outside;
    std::filesystem::create_directory(outside.file("project"));
    ASSERT_EQ(::symlink(outside.path().c_str(), dir_.file("parent").c_str()), 0);
    dir_.write("prompt.txt", "touch marker\n");
    Runner runner(job_args(dir_, {"--cwd", dir_.file("parent") + "/project"}));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 125);
    std::string error = dir_.read_json("exit.json")["launchError"].get<std::string>();
    EXPECT_NE(error.find("is a symbolic link"), std::string::npos) << error;
    EXPECT_FALSE(outside.has("project/marker")) << "the job ran in the symlink's target";
}

// --- A full disk -------------------------------------------------------------------------
// The job folder on a small filesystem that fills up while the job runs: the job dies of it
// (fake-claude, like claude, exits 1 when it cannot write), and the runner still records the
// end, saying why, in the room it reserved for exit.json at the start.

TEST_F(RunnerTest, AFullDiskIsRecordedAndNamedInTheReason) {
    cj::testing::SmallDisk disk(4);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    std::string jobDir = disk.path() + "/job";
    ASSERT_EQ(::mkdir(jobDir.c_str(), 0700), 0);
    std::ofstream(jobDir + "/prompt.txt")
        << "pidfile " << dir_.file("claude.pid") << "\nsleep 0.5\noutput 200000\nsay done\n";
    Runner runner({"--job-dir", jobDir, "--cwd", dir_.path(), "--", kFakeClaude});
    ASSERT_TRUE(dir_.wait_for_pid("claude.pid"));
    ASSERT_TRUE(runner_wait_until([&] { return std::filesystem::exists(jobDir + "/runner.json"); }, 5s));
    ASSERT_TRUE(disk.fill());
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 1);
    std::string text = read_text(jobDir + "/exit.json");
    ASSERT_FALSE(text.empty()) << "no exit record on the full disk";
    json exit = json::parse(text, nullptr, false);
    EXPECT_EQ(exit["exitCode"], 1);
    EXPECT_EQ(exit["noSpaceLeft"], true);
    EXPECT_EQ(exit["reason"], "exit code 1; no space left on device");
    // Nothing of the reservation is left beside the record.
    for (const auto& entry : std::filesystem::directory_iterator(jobDir))
        EXPECT_EQ(entry.path().filename().string().find(".exit.json"), std::string::npos)
            << entry.path();
}

TEST_F(RunnerTest, ARecordOnADiskWithRoomSaysNothingOfSpace) {
    dir_.write("prompt.txt", "exit 2\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    json exit = dir_.read_json("exit.json");
    EXPECT_EQ(exit["noSpaceLeft"], false);
    EXPECT_EQ(exit["reason"], "exit code 2");
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
        EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
}

// fake-claude's own behaviour that other tests rely on, seen through the runner.
class RunnerFakeClaudeTest : public RunnerTest {};

TEST_F(RunnerFakeClaudeTest, ResumeKeepsTheSessionIdAndForkMakesANewOne) {
    const std::string session = "11111111-2222-4333-8444-555555555555";
    dir_.write("prompt.txt", "say resumed\n");
    {
        Runner runner(job_args(dir_, {}, {"-p", "--resume", session}));
        ASSERT_TRUE(runner.wait());
    }
    std::vector<json> events = dir_.events();
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front()["session_id"], session);
    EXPECT_EQ(events.back()["session_id"], session);

    JobDir forked;
    forked.write("prompt.txt", "say forked\n");
    Runner runner(job_args(forked, {}, {"-p", "--resume", session, "--fork-session"}));
    ASSERT_TRUE(runner.wait());
    std::vector<json> forkedEvents = forked.events();
    ASSERT_FALSE(forkedEvents.empty());
    EXPECT_NE(forkedEvents.front()["session_id"], session);
    EXPECT_EQ(forkedEvents.front()["session_id"].get<std::string>().size(), 36u);
}

TEST_F(RunnerFakeClaudeTest, ErrorDirectiveMakesAFailedResult) {
    dir_.write("prompt.txt", "tool Bash {\"command\":\"ls\"}\nerror API Error: 401\n");
    Runner runner(job_args(dir_));
    ASSERT_TRUE(runner.wait());
    EXPECT_EQ(runner.exit_code(), 1);
    std::vector<json> events = dir_.events();
    ASSERT_EQ(events.size(), 4u) << dir_.read("events.jsonl");
    EXPECT_EQ(events[1]["message"]["content"][0]["type"], "tool_use");
    EXPECT_EQ(events[1]["message"]["content"][0]["input"]["command"], "ls");
    EXPECT_EQ(events[2]["type"], "user");
    EXPECT_EQ(events[3]["subtype"], "error_during_execution");
    EXPECT_EQ(events[3]["is_error"], true);
    EXPECT_EQ(events[3]["result"], "API Error: 401");
}

}  // namespace

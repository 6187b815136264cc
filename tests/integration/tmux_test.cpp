// The tmux backend with real tmux and the stand-in claude (print mode): the session on the
// configured socket, the transcript in the pane, the attach command, the keep period, cancel,
// hostile work folder names, a server restart, the input tool's refusals, and the command
// line's attach in a real terminal.
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/jobs/git.h"
#include "harness.h"
#include "support/small_disk.h"

namespace cj::testing {
namespace {

// Runs tmux with an argument vector (never a shell); returns its exit code and stdout.
std::pair<int, std::string> tmux(const std::vector<std::string>& args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return {-1, ""};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        std::vector<char*> argv;
        std::vector<std::string> copy = args;
        copy.insert(copy.begin(), "tmux");
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp("tmux", argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out[0], buffer, sizeof buffer)) > 0) text.append(buffer, n);
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// A tmux socket of the test's own, whose server is ended when the test ends.
class Socket {
  public:
    Socket() : name_("cj-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++)) {}
    ~Socket() {
        tmux({"-L", name_, "kill-server"});
        // tmux leaves its socket file behind.
        const char* dir = std::getenv("TMUX_TMPDIR");
        std::string base = dir && *dir ? dir : "/tmp";
        ::unlink((base + "/tmux-" + std::to_string(::getuid()) + "/" + name_).c_str());
    }
    const std::string& name() const { return name_; }
    bool has_session(const std::string& session) const {
        return tmux({"-L", name_, "has-session", "-t", "=" + session}).first == 0;
    }
    std::string screen(const std::string& session) const {
        return tmux({"-L", name_, "capture-pane", "-p", "-J", "-S", "-200", "-t",
                     "=" + session + ":"})
            .second;
    }

  private:
    static inline int next_ = 0;
    std::string name_;
};

json tmux_config(const std::string& stateDir, const std::string& socket,
                 json extra = json::object()) {
    json config = default_config(stateDir);
    json backend = {{"plugin", "tmux"}, {"socket", socket}};
    for (auto& [k, v] : extra.items()) backend[k] = v;
    config["backends"] = {{"local", {{"plugin", "local-detached"}}}, {"watch", backend}};
    config["defaultBackend"] = "watch";
    return config;
}

std::string session_of(const std::string& jobId) {
    return "cj-" + jobId;
}

// The words of an attach command in its simple form (no quoting needed for these names).
std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::string word;
    for (char c : line) {
        if (c == ' ') {
            if (!word.empty()) out.push_back(word);
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

TEST(TmuxBackendTest, PrintJobRunsInItsSessionAndShowsItsTranscript) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 3}}));
    server.initialize();
    json started = server.ok(
        "claude_start",
        {{"prompt",
          "say hello from the pane\ntool Bash {\"command\":\"make test\"}\nsleep 2\nsay all done"},
         {"workFolder", work.path()}});
    std::string id = started["jobId"];
    std::string session = session_of(id);
    EXPECT_EQ(started["backend"], "watch");
    EXPECT_EQ(started["attach"], "tmux -L " + socket.name() + " attach -t " + session);

    // The attach command names a session that exists on the configured socket.
    auto attach = words(started["attach"]);
    ASSERT_EQ(attach.size(), 6u);
    EXPECT_EQ(attach[1], "-L");
    EXPECT_EQ(attach[2], socket.name());
    EXPECT_EQ(attach[3], "attach");
    EXPECT_EQ(tmux({"-L", attach[2], "has-session", "-t", "=" + attach[5]}).first, 0);
    EXPECT_FALSE(tmux({"has-session", "-t", "=" + session}).first == 0 &&
                 socket.name() != "default")
        << "the job's session must not be on the default socket";

    // The pane shows the readable transcript, not raw JSON.
    EXPECT_TRUE(wait_until(
        [&] {
            std::string screen = socket.screen(session);
            return screen.find("hello from the pane") != std::string::npos &&
                   screen.find("▸ Bash: make test") != std::string::npos;
        },
        std::chrono::seconds(15)))
        << socket.screen(session);
    EXPECT_EQ(socket.screen(session).find("\"type\""), std::string::npos) << socket.screen(session);
    json running = server.ok("claude_check", {{"jobId", id}});
    EXPECT_EQ(running["status"], "running");
    EXPECT_EQ(running["attach"], started["attach"]);

    json done = server.wait_done(id);
    EXPECT_EQ(done["status"], "completed") << done.dump();
    EXPECT_EQ(done["exitCode"], 0);
    EXPECT_EQ(done["result"]["text"], "all done");
    // The same files as on the local backend.
    std::string dir = state.path() + "/jobs/" + id;
    for (const char* file :
         {"prompt.txt", "events.jsonl", "stderr.log", "runner.json", "exit.json"})
        EXPECT_TRUE(std::filesystem::exists(dir + "/" + file)) << file;
    EXPECT_FALSE(std::filesystem::exists(dir + "/pane-env")) << "the environment file is removed";

    // The session outlives the job for keepSessionSec, then goes on its own.
    EXPECT_TRUE(socket.has_session(session));
    EXPECT_TRUE(wait_until(
        [&] {
            return socket.screen(session).find("the job ended (exit code 0)") != std::string::npos;
        },
        std::chrono::seconds(5)));
    json ended = server.ok("claude_check", {{"jobId", id}});
    EXPECT_EQ(ended["attach"], started["attach"]) << "attachable during the keep period";
    EXPECT_TRUE(wait_until([&] { return !socket.has_session(session); }, std::chrono::seconds(15)));
    json gone = server.ok("claude_check", {{"jobId", id}});
    EXPECT_FALSE(gone.contains("attach")) << gone.dump();
}

TEST(TmuxBackendTest, ExitCodeAndFailureAreRecorded) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}}));
    server.initialize();
    std::string id = server.ok("claude_start", {{"prompt", "stderr something broke\nexit 3"},
                                                {"workFolder", work.path()}})["jobId"];
    json done = server.wait_done(id);
    EXPECT_EQ(done["status"], "failed");
    EXPECT_EQ(done["exitCode"], 3);
    EXPECT_NE(done["stderrTail"].get<std::string>().find("something broke"), std::string::npos);
    EXPECT_TRUE(
        wait_until([&] { return !socket.has_session(session_of(id)); }, std::chrono::seconds(10)))
        << "keepSessionSec 0 closes the session at once";
}

TEST(TmuxBackendTest, CancelEndsTheProcessGroupAndTheSession) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name()));  // keep 600 s
    server.initialize();
    std::string pidfile = work.path() + "/grandchild.pid";
    std::string id =
        server.ok("claude_start", {{"prompt", "spawn-child 120 " + pidfile + "\nsleep 120"},
                                   {"workFolder", work.path()}})["jobId"];
    ASSERT_TRUE(wait_until([&] { return !read_text(pidfile).empty(); }));
    pid_t grandchild = std::stoi(read_text(pidfile));
    ASSERT_TRUE(process_alive(grandchild));
    ASSERT_TRUE(socket.has_session(session_of(id)));
    json view = server.ok("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
    EXPECT_EQ(view["status"], "cancelled") << view.dump();
    EXPECT_TRUE(wait_until([&] { return !process_alive(grandchild); }, std::chrono::seconds(10)));
    EXPECT_TRUE(
        wait_until([&] { return !socket.has_session(session_of(id)); }, std::chrono::seconds(10)))
        << "a cancelled job's session goes at once, not after keepSessionSec";
}

TEST(TmuxBackendTest, HostileWorkFolderAndLabelRunNoShell) {
    TempDir state("cj-tmux"), root("cj-hostile");
    Socket socket;
    std::string name = "a;touch pwned1;$(touch pwned2)`touch pwned3`'\" q b";
    std::string work = root.path() + "/" + name;
    std::filesystem::create_directory(work);
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}}));
    server.initialize();
    json started =
        server.ok("claude_start",
                  {{"prompt", "say safe"}, {"workFolder", work}, {"label", "$(touch pwned4); 'x"}});
    json done = server.wait_done(started["jobId"]);
    EXPECT_EQ(done["status"], "completed") << done.dump();
    EXPECT_EQ(done["workFolder"], work);
    EXPECT_EQ(done["result"]["text"], "safe");
    for (const std::string& where : {work, root.path(), std::string("/"), state.path()})
        for (const char* file : {"pwned1", "pwned2", "pwned3", "pwned4"})
            EXPECT_FALSE(std::filesystem::exists(where + "/" + file)) << where << "/" << file;
}

TEST(TmuxBackendTest, JobSurvivesServerRestartAndEndsWithTheRightState) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    json config = tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}});
    std::string short_id, long_id;
    {
        Server server(state.path(), config);
        server.initialize();
        short_id = server.ok("claude_start", {{"prompt", "sleep 2\nsay after the restart\nexit 4"},
                                              {"workFolder", work.path()}})["jobId"];
        long_id = server.ok("claude_start",
                            {{"prompt", "sleep 120"}, {"workFolder", work.path()}})["jobId"];
        ASSERT_TRUE(wait_until([&] {
            return !read_text(state.path() + "/jobs/" + long_id + "/runner.json").empty();
        }));
        server.kill_hard();
    }
    ASSERT_TRUE(socket.has_session(session_of(long_id))) << "the session does not need the server";
    Server again(state.path(), config);
    again.initialize();
    json still = again.ok("claude_check", {{"jobId", long_id}});
    EXPECT_EQ(still["status"], "running") << still.dump();
    EXPECT_EQ(still["attach"], "tmux -L " + socket.name() + " attach -t " + session_of(long_id));
    json failed = again.wait_done(short_id);
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_EQ(failed["exitCode"], 4);
    EXPECT_EQ(failed["result"]["text"], "after the restart");
    json cancelled = again.ok("claude_cancel", {{"jobId", long_id}, {"graceSec", 1}});
    EXPECT_EQ(cancelled["status"], "cancelled");
    EXPECT_TRUE(wait_until([&] { return !socket.has_session(session_of(long_id)); },
                           std::chrono::seconds(10)));
}

// A child that called setsid and a daemon that forked twice are out of the job's process group;
// a job that runs out of time in its pane ends them too, before its end is recorded.
TEST(TmuxBackendTest, ATimeoutEndsProcessesThatLeftTheJobsGroup) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}}));
    server.initialize();
    std::string prompt = "spawn-setsid 60 " + work.file("setsid.pid") + "\nspawn-daemon 60 " +
                         work.file("daemon.pid") + "\nsleep 60";
    std::string id =
        server.ok("claude_start",
                  {{"prompt", prompt}, {"workFolder", work.path()}, {"timeoutSec", 1}})["jobId"];
    std::vector<pid_t> escapees;
    for (const char* name : {"setsid.pid", "daemon.pid"}) {
        ASSERT_TRUE(wait_until([&] {
            return read_text(work.file(name)).find('\n') != std::string::npos;
        })) << name;
        escapees.push_back(std::stoi(read_text(work.file(name))));
    }
    for (pid_t pid : escapees) EXPECT_TRUE(process_alive(pid)) << pid;
    json view = server.wait_done(id);
    EXPECT_EQ(view["status"], "timed_out");
    for (pid_t pid : escapees) {
        EXPECT_FALSE(process_alive(pid)) << "pid " << pid << " outlived the job";
        if (process_alive(pid)) ::kill(pid, SIGKILL);
    }
}

// Chaos: the disk under the state dir fills up while a job runs in its pane, and the server
// is killed meanwhile. The job dies of the full disk; its supervisor still records the end
// (in the room it kept), and the next server, once space is back, records it failed saying
// why. A small tmpfs of the test's own (root only).
TEST(TmuxBackendTest, AJobKilledByAFullDiskWhileNoServerRunsEndsSayingSo) {
    SmallDisk disk(24);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    TempDir home("cj-tmux-home"), work("cj-work");
    Socket socket;
    std::string state = disk.path() + "/state";
    json config = tmux_config(state, socket.name(), {{"keepSessionSec", 0}});
    std::string id;
    {
        Server server(home.path(), config);
        server.initialize();
        id = server.ok("claude_start", {{"prompt", "sleep 2\noutput 400000\nsay finished"},
                                        {"workFolder", work.path()}})["jobId"];
        runner_info(state, id);
        ASSERT_TRUE(disk.fill());
        server.kill_hard();
    }
    ASSERT_TRUE(wait_until([&] {
        return !read_text(state + "/jobs/" + id + "/exit.json").empty();
    })) << "no exit record on the full disk";
    disk.free_up();
    Server again(home.path(), config);
    again.initialize();
    json view = again.wait_done(id);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_NE(view["reason"].get<std::string>().find("no space left on device"), std::string::npos)
        << view["reason"];
    EXPECT_TRUE(
        wait_until([&] { return !socket.has_session(session_of(id)); }, std::chrono::seconds(10)));
}

TEST(TmuxBackendTest, SendIsRefusedForJobsThatTakeNoInput) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}}));
    server.initialize();
    for (const char* backend : {"watch", "local"}) {
        std::string id = server.ok(
            "claude_start",
            {{"prompt", "sleep 30"}, {"workFolder", work.path()}, {"backend", backend}})["jobId"];
        json r = server.call("claude_send", {{"jobId", id}, {"text", "hello"}});
        EXPECT_TRUE(r.value("isError", false)) << r.dump();
        EXPECT_EQ(r["structuredContent"]["error"]["code"], "invalid_argument");
        EXPECT_NE(r["structuredContent"]["error"]["message"].get<std::string>().find(
                      "does not take input"),
                  std::string::npos)
            << r.dump();
        server.ok("claude_cancel", {{"jobId", id}, {"graceSec", 0}});
    }
    json unknown = server.call("claude_send", {{"jobId", "nope"}, {"text", "x"}});
    EXPECT_EQ(unknown["structuredContent"]["error"]["code"], "not_found");
    json bad = server.call("claude_send", {{"jobId", "nope"}, {"text", "x"}, {"extra", 1}});
    EXPECT_EQ(bad["structuredContent"]["error"]["code"], "invalid_argument");
}

// `claude-jobs attach <id>` in a terminal joins the job's session (the backend's attach
// command, run without a shell); detaching ends it and leaves the job running.
TEST(TmuxBackendTest, CommandLineAttachJoinsTheSessionInATerminal) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name()));
    server.initialize();
    std::string id = server.ok(
        "claude_start", {{"prompt", "sleep 60\nsay late"}, {"workFolder", work.path()}})["jobId"];
    std::string session = session_of(id);
    ASSERT_TRUE(wait_until([&] { return socket.has_session(session); }));

    int terminal = -1;
    pid_t cli = ::forkpty(&terminal, nullptr, nullptr, nullptr);
    ASSERT_GE(cli, 0) << std::strerror(errno);
    if (cli == 0) {
        ::setenv("TERM", "xterm", 1);
        ::unsetenv("TMUX");
        std::string program = bin_path("claude-jobs");
        std::string config = state.path() + "/config.json";
        std::string prefix = id.substr(0, id.size() - 2);  // a unique prefix names the job
        ::execl(program.c_str(), program.c_str(), "--config", config.c_str(), "attach",
                prefix.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Drain the terminal so tmux never blocks on it, keeping the start of what it showed.
    std::atomic<bool> draining{true};
    std::string shown;
    std::thread drain([&] {
        char buffer[4096];
        ssize_t n;
        while (draining && (n = ::read(terminal, buffer, sizeof buffer)) > 0)
            if (shown.size() < (1 << 16)) shown.append(buffer, static_cast<std::size_t>(n));
    });
    auto clients = [&] {
        return tmux({"-L", socket.name(), "list-clients", "-t", "=" + session, "-F",
                     "#{client_pid}"})
            .second;
    };
    bool attached = wait_until([&] { return !clients().empty(); }, std::chrono::seconds(15));
    EXPECT_TRUE(attached) << "no client attached to " << session;
    if (attached) {
        EXPECT_EQ(std::stol(clients()), cli) << "the attached client is not the command";
    }

    EXPECT_EQ(tmux({"-L", socket.name(), "detach-client", "-s", "=" + session}).first, 0);
    int status = 0;
    bool ended = wait_until([&] { return ::waitpid(cli, &status, WNOHANG) == cli; });
    if (!ended && cli > 1) {
        ::kill(cli, SIGKILL);
        ::waitpid(cli, &status, 0);
    }
    draining = false;
    ::close(terminal);
    drain.join();
    EXPECT_TRUE(ended) << "attach did not end when its client was detached";
    EXPECT_NE(shown.find("Ctrl-b then d"), std::string::npos) << "how to detach is said first";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(server.ok("claude_check", {{"jobId", id}})["status"], "running")
        << "detaching must not touch the job";
    EXPECT_EQ(server.ok("claude_cancel", {{"jobId", id}})["status"], "cancelled");
}

TEST(TmuxBackendTest, MissingTmuxIsReportedClearly) {
    TempDir state("cj-tmux");
    json config = tmux_config(state.path(), "unused", {{"tmuxPath", "/nonexistent/tmux"}});
    Server server(state.path(), config);
    server.initialize();
    json report = server.ok("claude_backends", json::object());
    bool seen = false;
    for (const auto& b : report["backends"]) {
        if (b["name"] != "watch") continue;
        seen = true;
        EXPECT_FALSE(b["available"].get<bool>());
        EXPECT_NE(b["reason"].get<std::string>().find("tmux not found"), std::string::npos)
            << b.dump();
        EXPECT_TRUE(b["capabilities"]["attach"].get<bool>());
        EXPECT_FALSE(b["capabilities"]["sendInput"].get<bool>()) << "print mode takes no input";
    }
    EXPECT_TRUE(seen);
}

TEST(TmuxBackendTest, AWorktreeJobWorksInItsWorktreeAndItsPatchShowsIt) {
    TempDir state("cj-tmux"), work("cj-work");
    Socket socket;
    Server server(state.path(), tmux_config(state.path(), socket.name(), {{"keepSessionSec", 0}}));
    server.initialize();
    jobs::git::Git git;
    std::string repo = std::filesystem::canonical(work.path()).string();
    ASSERT_TRUE(git.must(repo, {"init", "-q"}).ok());
    write_text(repo + "/a.txt", "a\n");
    ASSERT_TRUE(git.must(repo, {"add", "-A"}).ok());
    ASSERT_TRUE(git.must(repo, {"commit", "-qm", "first"}).ok());
    std::string id = server.ok("claude_start", {{"prompt", "write a.txt from tmux"},
                                                {"workFolder", repo},
                                                {"isolation", "worktree"}})["jobId"];
    json done = server.wait_done(id);
    EXPECT_EQ(done["status"], "completed") << done.dump();
    EXPECT_EQ(read_text(repo + "/a.txt"), "a\n");
    ASSERT_TRUE(done.contains("changes")) << done.dump();
    EXPECT_NE(read_text(done["changes"]["patchFile"]).find("+from tmux"), std::string::npos);
}

}  // namespace
}  // namespace cj::testing

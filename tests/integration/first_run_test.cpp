// What a new user meets on a first run: the server started by hand on a terminal says what
// it is (and stays silent on a pipe, where an MCP client speaks to it).
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "cli_runner.h"
#include "harness.h"
#include "support/text_files.h"

namespace cj::testing {
namespace {

// Runs argv on a new pseudo-terminal; collects what it writes until `until` appears (or
// time runs out), then sends Ctrl-D and reaps it.
struct PtyRun {
    std::string output;
    int status = -1;
};

PtyRun run_on_terminal(const std::vector<std::string>& args, const std::string& until,
                       unsigned short columns = 80) {
    PtyRun run;
    int master = -1;
    winsize size{};
    size.ws_row = 40;
    size.ws_col = columns;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) return run;
    if (pid == 0) {
        ::setenv("COLUMNS", "300", 1);  // the terminal's own width wins over a stale variable
        ::setenv("TERM", "xterm", 1);
        ::unsetenv("NO_COLOR");
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    char buf[4096];
    while (!has(run.output, until) && std::chrono::steady_clock::now() < deadline) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break;
        run.output.append(buf, static_cast<std::size_t>(n));
    }
    ::write(master, "\x04", 1);  // Ctrl-D: end of input, the server ends
    bool ended = wait_until([&] { return ::waitpid(pid, &run.status, WNOHANG) == pid; },
                            std::chrono::seconds(10));
    if (!ended) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &run.status, 0);
    }
    ::close(master);
    return run;
}

class FirstRunTest : public ::testing::Test {
  protected:
    void SetUp() override { write_text(config_, default_config(state_.path()).dump()); }
    TempDir state_{"cj-first-run"};
    std::string config_ = state_.path() + "/config.json";
};

TEST_F(FirstRunTest, ServerOnATerminalSaysItIsAnMcpServer) {
    PtyRun run = run_on_terminal({bin_path("claude-jobs"), "--config", config_}, "--help");
    EXPECT_TRUE(has(run.output, "this is an MCP server")) << run.output;
    EXPECT_TRUE(has(run.output, "claude-jobs --help")) << run.output;
    EXPECT_TRUE(has(run.output, "Ctrl-D")) << run.output;
    ASSERT_TRUE(WIFEXITED(run.status)) << "Ctrl-D ends it";
    EXPECT_EQ(WEXITSTATUS(run.status), 0);
}

TEST_F(FirstRunTest, ServerOnAPipeSaysNothingOfTheKind) {
    CliResult served = run_cli({"--config", config_}, CliOptions{{}, std::string(""), ""});
    EXPECT_EQ(served.status, 0) << served.err;
    EXPECT_TRUE(served.out.empty()) << served.out;
    EXPECT_FALSE(has(served.err, "MCP server")) << served.err;
    EXPECT_FALSE(has(served.err, "--help")) << served.err;
}

// The visible width of each line (escape sequences and carriage returns left out).
std::size_t widest_line(const std::string& text) {
    std::size_t widest = 0, width = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\x1b') {
            while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
        } else if (c == '\n') {
            widest = std::max(widest, width);
            width = 0;
        } else if (c != '\r' && (c & 0xC0) != 0x80) {
            ++width;
        }
    }
    return std::max(widest, width);
}

TEST_F(FirstRunTest, QueuedJobFromTheShellIsLaunchedByWaitWithNoServer) {
    json config = default_config(state_.path());
    config["maxConcurrentJobs"] = 1;
    write_text(config_, config.dump());
    TempDir work{"cj-first-work"};
    CliResult first =
        run_cli({"--config", config_, "start", "-C", work.path(), "sleep 6\nsay one"});
    ASSERT_EQ(first.status, 0) << first.err;
    CliResult second = run_cli({"--config", config_, "start", "-C", work.path(), "say two"});
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_TRUE(has(second.err, "queue position 1")) << second.err;
    EXPECT_TRUE(has(second.err, "claude-jobs wait")) << second.err;
    std::string id = second.out.substr(0, second.out.find('\n'));
    CliResult early = run_cli({"--config", config_, "wait", "--timeout", "0.2", id});
    EXPECT_EQ(early.status, 3) << early.err;
    EXPECT_TRUE(has(early.err, "queued: all 1 slots of maxConcurrentJobs are taken")) << early.err;
    // The first job holds the one slot long enough for the early look on a slow (sanitized,
    // loaded) machine; wait then launches the second when it ends.
    CliResult waited = run_cli({"--config", config_, "wait", "--timeout", "60", id});
    EXPECT_EQ(waited.status, 0) << waited.out << waited.err;
    EXPECT_TRUE(has(waited.out, "completed")) << waited.out;
}

TEST_F(FirstRunTest, ListFitsTheTerminalsRealWidth) {
    TempDir work{"cj-first-work"};
    std::string prompt = "say " + std::string(150, 'w');
    CliResult started = run_cli({"--config", config_, "start", "-C", work.path(), prompt});
    ASSERT_EQ(started.status, 0) << started.err;
    // COLUMNS says 300: the terminal's 120 wins, and the prompt is cut to fill it.
    PtyRun run = run_on_terminal({bin_path("claude-jobs"), "--config", config_, "ls"}, "\x04", 120);
    EXPECT_TRUE(has(run.output, "PROMPT")) << run.output;
    EXPECT_LE(widest_line(run.output), 120u) << run.output;
    EXPECT_GT(widest_line(run.output), 100u) << run.output;
}

}  // namespace
}  // namespace cj::testing

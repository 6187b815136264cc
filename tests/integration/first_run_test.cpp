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

namespace cj::testing {
namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

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

}  // namespace
}  // namespace cj::testing

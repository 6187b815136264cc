// The tmux backend's client runner (plugins/tmux/client.h): the process seam with what every
// tmux command takes, its failures as errors a person reads, and the environment and PATH a
// tmux client gets.
#include "client.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace cj::tmux {
namespace {

using claude_jobs::ErrorCode;
using namespace std::chrono_literals;

TEST(TmuxClient, RunsInRootWithItsInputInASessionOfItsOwn) {
    auto ran = run_client({"/bin/sh", "-c", "pwd; cat; cut -d' ' -f6 /proc/$$/stat; echo $$"},
                          std::vector<std::string>{"PATH=/usr/bin:/bin"}, "typed\n");
    ASSERT_TRUE(ran) << ran.error().message;
    std::istringstream lines(ran->out);
    std::string pwd, typed, sid, pid;
    lines >> pwd >> typed >> sid >> pid;
    EXPECT_EQ(pwd, "/");
    EXPECT_EQ(typed, "typed");
    EXPECT_EQ(sid, pid);
    EXPECT_EQ(ran->exitCode, 0);
}

TEST(TmuxClient, ANonZeroExitIsAnAnswer) {
    auto ran = run_client({"/bin/sh", "-c", "echo no server >&2; exit 1"}, std::nullopt, "");
    ASSERT_TRUE(ran);
    EXPECT_EQ(ran->exitCode, 1);
    EXPECT_EQ(ran->err, "no server\n");
}

TEST(TmuxClient, FailuresAreErrors) {
    auto missing = run_client({"/nonexistent/tmux", "-V"}, std::nullopt, "");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(missing.error().message, "cannot run /nonexistent/tmux: No such file or directory");
    auto slow = run_client({"/bin/sleep", "30"}, std::nullopt, "", 200ms);
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().code, ErrorCode::Internal);
    EXPECT_EQ(slow.error().message, "/bin/sleep did not answer within 200 ms");
    EXPECT_FALSE(run_client({}, std::nullopt, ""));
}

TEST(TmuxClient, ClientsAreNotTiedToTheServersOwnTmux) {
    ::setenv("TMUX", "/tmp/tmux-0/default,1,0", 1);
    ::setenv("TMUX_PANE", "%1", 1);
    ::setenv("CJ_KEPT", "yes", 1);
    auto env = client_environment();
    ::unsetenv("TMUX");
    ::unsetenv("TMUX_PANE");
    ::unsetenv("CJ_KEPT");
    auto has = [&](const std::string& prefix) {
        return std::any_of(env.begin(), env.end(),
                           [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    };
    EXPECT_FALSE(has("TMUX="));
    EXPECT_FALSE(has("TMUX_PANE="));
    EXPECT_TRUE(has("CJ_KEPT=yes"));
}

TEST(TmuxClient, FindsTmuxOnThePathOfTheEnvironmentGiven) {
    cj::testing::TempDir dir("cj-tmux-path");
    std::string tool = dir.write("bin/fake-tmux", "#!/bin/sh\n");
    ::chmod(tool.c_str(), 0755);
    EXPECT_EQ(find_program("fake-tmux", {"PATH=/nonexistent:" + dir.path() + "/bin"}), tool);
    EXPECT_EQ(find_program("fake-tmux", {"HOME=/"}), "") << "the default PATH has none";
    EXPECT_EQ(find_program(tool, {}), tool);
}

}  // namespace
}  // namespace cj::tmux

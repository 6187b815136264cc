// The process seam's run-and-capture (plugins/common/command.h): what a command is given (its
// stdin, environment, folder, session, signal handling, descriptors) as each option says, what
// is captured of its output, and that it is bounded in time and size.
#include "common/command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace cj::plugin_common {
namespace {

using namespace std::chrono_literals;

CommandOutput sh(const std::string& script, CommandOptions options = {}) {
    return run_captured({"/bin/sh", "-c", script}, options);
}

TEST(PluginCommonCommand, CapturesBothStreamsAndTheExitCode) {
    auto out = sh("echo out; echo err >&2; exit 3");
    EXPECT_TRUE(out.started);
    EXPECT_FALSE(out.timedOut);
    EXPECT_EQ(out.exitCode, 3);
    EXPECT_EQ(out.out, "out\n");
    EXPECT_EQ(out.err, "err\n");
}

TEST(PluginCommonCommand, MergesStderrWhenAsked) {
    CommandOptions options;
    options.mergeStderr = true;
    auto out = sh("echo one; echo two >&2; echo three", options);
    EXPECT_EQ(out.out, "one\ntwo\nthree\n");
    EXPECT_EQ(out.err, "");
}

TEST(PluginCommonCommand, StdinIsNullOrTheGivenInput) {
    auto none = sh("cat; echo end");
    EXPECT_EQ(none.out, "end\n") << "stdin on /dev/null: at its end at once";
    EXPECT_EQ(sh("readlink /proc/self/fd/0").out, "/dev/null\n");

    CommandOptions fed;
    fed.input = std::string("line one\nline two\n");
    EXPECT_EQ(sh("cat", fed).out, "line one\nline two\n");
    fed.input = std::string(3 << 20, 'x');  // more than any pipe holds at once
    auto big = sh("wc -c", fed);
    EXPECT_EQ(big.out, std::to_string(3 << 20) + "\n");
    fed.input = std::string();
    EXPECT_EQ(sh("cat; echo end", fed).out, "end\n") << "an empty input is an ended stdin";
}

TEST(PluginCommonCommand, EnvironmentIsThisProcessesOrExactlyTheGivenOne) {
    ::setenv("CJ_COMMAND_TEST", "inherited", 1);
    EXPECT_EQ(sh("echo $CJ_COMMAND_TEST").out, "inherited\n");
    CommandOptions exact;
    exact.env = std::vector<std::string>{"ONLY=this"};
    EXPECT_EQ(sh("echo \"$CJ_COMMAND_TEST|$ONLY\"", exact).out, "|this\n");
    ::unsetenv("CJ_COMMAND_TEST");
}

TEST(PluginCommonCommand, FolderAndSessionAsAsked) {
    CommandOptions options;
    options.workDir = "/";
    options.newSession = true;
    auto out = sh("pwd; cut -d' ' -f6 /proc/$$/stat; echo $$", options);
    std::string pwd, sid, pid;
    std::istringstream lines(out.out);
    lines >> pwd >> sid >> pid;
    EXPECT_EQ(pwd, "/");
    EXPECT_EQ(sid, pid) << "a session of its own";
    auto same = sh("cut -d' ' -f6 /proc/$$/stat");
    EXPECT_EQ(same.out, std::to_string(::getsid(0)) + "\n") << "by default, ours";
}

TEST(PluginCommonCommand, InheritsNoDescriptorAndNoIgnoredSignal) {
    int leaked = ::open("/dev/null", O_RDONLY);  // no CLOEXEC, on purpose
    ASSERT_GE(leaked, 3);
    auto previous = ::signal(SIGPIPE, SIG_IGN);
    auto out = sh("ls /proc/self/fd | sort -n | tr '\\n' ' '; grep SigIgn /proc/self/status");
    ::signal(SIGPIPE, previous);
    ::close(leaked);
    // ls's own directory descriptor shows as 3.
    EXPECT_EQ(out.out.substr(0, out.out.find("SigIgn")), "0 1 2 3 ") << out.out;
    auto at = out.out.find("SigIgn:\t");
    ASSERT_NE(at, std::string::npos);
    unsigned long long ignored = std::stoull(out.out.substr(at + 8, 16), nullptr, 16);
    EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0u);
}

TEST(PluginCommonCommand, KeepsOnlyMaxCaptureBytes) {
    CommandOptions options;
    options.maxCapture = 1000;
    auto out = sh("head -c 100000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero >&2", options);
    EXPECT_EQ(out.exitCode, 0) << "the rest is read and dropped, so it finishes";
    EXPECT_EQ(out.out, std::string(1000, 'a'));
    EXPECT_EQ(out.err.size(), 1000u);
}

TEST(PluginCommonCommand, ACommandPastItsTimeIsKilled) {
    CommandOptions options;
    options.timeout = 200ms;
    auto before = std::chrono::steady_clock::now();
    auto out = sh("echo started; exec sleep 30", options);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
    EXPECT_TRUE(out.started);
    EXPECT_TRUE(out.timedOut);
    EXPECT_EQ(out.exitCode, -1);
    EXPECT_EQ(out.out, "started\n") << "what it said before is kept";
}

TEST(PluginCommonCommand, AProgramThatCannotRunIsNotStarted) {
    auto missing = run_captured({"/nonexistent/program"});
    EXPECT_FALSE(missing.started);
    EXPECT_EQ(missing.spawnError, ENOENT);
    EXPECT_FALSE(run_captured({}).started);
    EXPECT_EQ(describe_failure("thing", missing),
              std::string("thing could not be run: ") + std::strerror(ENOENT));
}

TEST(PluginCommonCommand, DescribesFailuresForAPerson) {
    CommandOutput timedOut;
    timedOut.started = true;
    timedOut.timedOut = true;
    EXPECT_EQ(describe_failure("podman info", timedOut), "podman info did not answer in time");
    auto failed = sh("printf 'first\\nsecond\\n' >&2; exit 125");
    EXPECT_EQ(describe_failure("podman run", failed),
              "podman run failed (exit code 125): first second");
    auto quiet = sh("echo only-out; exit 1");
    EXPECT_EQ(describe_failure("x", quiet), "x failed (exit code 1): only-out");
    EXPECT_EQ(first_lines("a\r\nb\n", 400), "a  b");
    EXPECT_EQ(first_lines(std::string(10, 'z'), 4), "zzzz...");
}

}  // namespace
}  // namespace cj::plugin_common

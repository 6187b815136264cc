// A claude that cannot be found or run is refused when a start is accepted, with the fix.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "core/jobs/claude_program.h"
#include "support/temp_dir.h"
#include "support/text_files.h"

namespace {

using cj::jobs::find_runnable_claude;
using cj::testing::TempDir;
using cj::testing::has;

std::string executable(const TempDir& dir, const std::string& name, const std::string& text) {
    std::string path = dir.write(name, text);
    ::chmod(path.c_str(), 0755);
    return path;
}

TEST(ClaudeProgram, FindsANameOnTheJobsPath) {
    TempDir bin{"cj-bin"};
    std::string claude = executable(bin, "claude",
                                    "\x7f"
                                    "ELF");
    auto found = find_runnable_claude("claude", {"HOME=/x", "PATH=/nowhere:" + bin.path()});
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(*found, claude);
}

TEST(ClaudeProgram, MissingNameSaysWhereItLookedAndHowToFixIt) {
    TempDir bin{"cj-bin"};
    auto found = find_runnable_claude("claude", {"PATH=" + bin.path()});
    ASSERT_FALSE(found.ok());
    const std::string& m = found.error().message;
    EXPECT_EQ(found.error().code, claude_jobs::ErrorCode::Unavailable);
    EXPECT_TRUE(has(m, "cannot run claude")) << m;
    EXPECT_TRUE(has(m, "not found on PATH (" + bin.path() + ")")) << m;
    EXPECT_TRUE(has(m, "npm install -g @anthropic-ai/claude-code")) << m;
    EXPECT_TRUE(has(m, "claude.path")) << m;
}

TEST(ClaudeProgram, PathThatIsNotExecutableIsRefused) {
    TempDir bin{"cj-bin"};
    std::string plain = bin.write("claude", "#!/bin/sh\n");  // not chmod +x
    auto found = find_runnable_claude(plain, {"PATH=/usr/bin"});
    ASSERT_FALSE(found.ok());
    EXPECT_TRUE(has(found.error().message, "is not an executable file")) << found.error().message;
}

TEST(ClaudeProgram, ScriptWhoseInterpreterIsOffThePathIsRefused) {
    TempDir bin{"cj-bin"};
    std::string claude = executable(bin, "claude", "#!/usr/bin/env node\nconsole.log(1)\n");
    auto found = find_runnable_claude(claude, {"PATH=" + bin.path()});
    ASSERT_FALSE(found.ok());
    EXPECT_TRUE(has(found.error().message, "runs with node, which is not found on PATH"))
        << found.error().message;
    executable(bin, "node",
               "\x7f"
               "ELF");
    EXPECT_TRUE(find_runnable_claude(claude, {"PATH=" + bin.path()}).ok());
}

TEST(ClaudeProgram, ScriptWithAMissingInterpreterIsRefused) {
    TempDir bin{"cj-bin"};
    std::string claude = executable(bin, "claude", "#!/opt/none/node -x\n");
    auto found = find_runnable_claude(claude, {});
    ASSERT_FALSE(found.ok());
    EXPECT_TRUE(has(found.error().message, "needs /opt/none/node")) << found.error().message;
    EXPECT_TRUE(find_runnable_claude(executable(bin, "ok", "#!/bin/sh\n"), {}).ok());
}

TEST(ClaudeProgram, OnlyTheContainerRunsAClaudeOfItsOwn) {
    EXPECT_TRUE(cj::jobs::runs_host_claude("local-detached"));
    EXPECT_TRUE(cj::jobs::runs_host_claude("tmux"));
    EXPECT_FALSE(cj::jobs::runs_host_claude("container"));
}

}  // namespace

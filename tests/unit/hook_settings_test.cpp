// Tests of merging claude-jobs' Stop hook into Claude Code's settings: every other key and
// hook kept, the hook added once (a second merge changes nothing), an older claude-jobs
// hook updated in place, a broken file refused with what is wrong; and where the file is.
#include "core/cli/hook_settings.h"

#include <gtest/gtest.h>

namespace {

using cj::cli::Change;
using cj::cli::merge_stop_hook;
using nlohmann::ordered_json;

const char* kCommand = "/opt/cj/bin/claude-jobs hook-wait --max-wait 3300";

TEST(HookSettingsTest, AddsTheHookKeepingEverythingElse) {
    std::string existing = R"({"model":"opus","hooks":{"Stop":[{"hooks":[{"type":"command",
        "command":"say done"}]}],"PreToolUse":[{"matcher":"Bash","hooks":[]}]},"env":{"A":"1"}})";
    auto merged = merge_stop_hook(existing, kCommand);
    ASSERT_TRUE(merged.ok()) << merged.error().message;
    EXPECT_EQ(merged->change, Change::Added);
    const auto& c = merged->config;
    EXPECT_EQ(c["model"], "opus");
    EXPECT_EQ(c["env"]["A"], "1");
    EXPECT_TRUE(c["hooks"].contains("PreToolUse"));
    ASSERT_EQ(c["hooks"]["Stop"].size(), 2u);
    EXPECT_EQ(c["hooks"]["Stop"][0]["hooks"][0]["command"], "say done");
    const auto& hook = c["hooks"]["Stop"][1]["hooks"][0];
    EXPECT_EQ(hook["type"], "command");
    EXPECT_EQ(hook["command"], kCommand);
    EXPECT_EQ(hook["asyncRewake"], true);
    EXPECT_EQ(hook["timeout"], cj::cli::kHookTimeoutSec);
    EXPECT_EQ(c.begin().key(), "model") << "key order kept";
}

TEST(HookSettingsTest, ASecondMergeChangesNothingAndAnOldHookIsUpdated) {
    auto first = merge_stop_hook("", kCommand);
    ASSERT_TRUE(first.ok());
    auto second = merge_stop_hook(first->config.dump(), kCommand);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->change, Change::Unchanged);
    EXPECT_EQ(second->config, first->config);
    auto moved =
        merge_stop_hook(first->config.dump(), "/new/place/claude-jobs hook-wait --max-wait 3300");
    ASSERT_TRUE(moved.ok());
    EXPECT_EQ(moved->change, Change::Updated);
    ASSERT_EQ(moved->config["hooks"]["Stop"].size(), 1u) << "updated in place, not added";
}

TEST(HookSettingsTest, ABrokenFileIsRefusedWithWhatIsWrong) {
    EXPECT_FALSE(merge_stop_hook("{not json", kCommand).ok());
    EXPECT_FALSE(merge_stop_hook("[1]", kCommand).ok());
    auto badHooks = merge_stop_hook(R"({"hooks":[]})", kCommand);
    ASSERT_FALSE(badHooks.ok());
    EXPECT_NE(badHooks.error().message.find("hooks"), std::string::npos);
    EXPECT_FALSE(merge_stop_hook(R"({"hooks":{"Stop":{}}})", kCommand).ok());
}

TEST(HookSettingsTest, WhereTheSettingsAreAndTheCommandLine) {
    cj::config::Environment env = {{"HOME", "/home/me"}};
    EXPECT_EQ(*cj::cli::claude_code_settings_path("user", env, "/p"),
              "/home/me/.claude/settings.json");
    env["CLAUDE_CONFIG_DIR"] = "/cfg";
    EXPECT_EQ(*cj::cli::claude_code_settings_path("user", env, "/p"), "/cfg/settings.json");
    EXPECT_EQ(*cj::cli::claude_code_settings_path("project", env, "/p"),
              "/p/.claude/settings.json");
    EXPECT_EQ(cj::cli::hook_command("/a b/claude-jobs", {"--config", "/c.json"}),
              "'/a b/claude-jobs' --config /c.json hook-wait --max-wait 3300");
}

}  // namespace

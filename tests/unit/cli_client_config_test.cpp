// Where MCP clients keep their config, and merging claude-jobs into it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/cli/client_config.h"
#include "support/temp_dir.h"

namespace cj::cli {
namespace {

using nlohmann::ordered_json;

config::Environment env(std::initializer_list<std::pair<const std::string, std::string>> items) {
    return config::Environment(items);
}

TEST(ClientConfig, DesktopPathOnMacOs) {
    auto p = desktop_config_path(Os::MacOs, env({{"HOME", "/Users/me"}}), {});
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, "/Users/me/Library/Application Support/Claude/claude_desktop_config.json");
    EXPECT_FALSE(desktop_config_path(Os::MacOs, env({}), {}));
}

TEST(ClientConfig, DesktopPathOnLinux) {
    EXPECT_EQ(*desktop_config_path(Os::Linux, env({{"HOME", "/home/me"}}), {}),
              "/home/me/.config/Claude/claude_desktop_config.json");
    EXPECT_EQ(*desktop_config_path(Os::Linux,
                                   env({{"HOME", "/home/me"}, {"XDG_CONFIG_HOME", "/cfg"}}), {}),
              "/cfg/Claude/claude_desktop_config.json");
    EXPECT_EQ(*desktop_config_path(Os::Linux,
                                   env({{"HOME", "/home/me"}, {"XDG_CONFIG_HOME", "rel"}}), {}),
              "/home/me/.config/Claude/claude_desktop_config.json")
        << "a relative XDG_CONFIG_HOME is ignored, as the XDG spec says";
}

TEST(ClientConfig, DesktopPathOnWindowsStandardInstall) {
    auto e = env({{"APPDATA", "C:\\Users\\me\\AppData\\Roaming"},
                  {"LOCALAPPDATA", "C:\\Users\\me\\AppData\\Local"}});
    EXPECT_EQ(*desktop_config_path(Os::Windows, e, {}),
              "C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
    EXPECT_FALSE(desktop_config_path(Os::Windows, env({}), {}));
}

TEST(ClientConfig, DesktopPathOnWindowsMsixInstall) {
    auto e = env({{"APPDATA", "C:\\Users\\me\\AppData\\Roaming"},
                  {"LOCALAPPDATA", "C:\\Users\\me\\AppData\\Local"}});
    EXPECT_EQ(*desktop_config_path(Os::Windows, e, {{"Claude_pzs8sxrjxfjjc", false}}),
              "C:\\Users\\me\\AppData\\Local\\Packages\\Claude_pzs8sxrjxfjjc\\LocalCache\\Roaming\\"
              "Claude\\claude_desktop_config.json");
    // Of several packages, the one already holding a config; else the first by name.
    EXPECT_EQ(*desktop_config_path(Os::Windows, e, {{"Claude_b", false}, {"Claude_c", true}}),
              "C:\\Users\\me\\AppData\\Local\\Packages\\Claude_c\\LocalCache\\Roaming\\Claude\\"
              "claude_desktop_config.json");
    EXPECT_EQ(*desktop_config_path(Os::Windows, e, {{"Claude_z", false}, {"Claude_a", false}}),
              "C:\\Users\\me\\AppData\\Local\\Packages\\Claude_a\\LocalCache\\Roaming\\Claude\\"
              "claude_desktop_config.json");
}

TEST(ClientConfig, ClaudeCodePaths) {
    EXPECT_EQ(*claude_code_config_path("user", env({{"HOME", "/home/me"}}), "/p"),
              "/home/me/.claude.json");
    EXPECT_EQ(*claude_code_config_path(
                  "user", env({{"HOME", "/home/me"}, {"CLAUDE_CONFIG_DIR", "/c"}}), "/p"),
              "/c/.claude.json");
    EXPECT_EQ(*claude_code_config_path("project", env({}), "/work/proj"), "/work/proj/.mcp.json");
    EXPECT_FALSE(claude_code_config_path("global", env({{"HOME", "/h"}}), "/p"));
}

TEST(ClientConfig, MergeKeepsEveryOtherKeyInOrder) {
    std::string text =
        R"({"z": 1, "mcpServers": {"b": {"command": "b"}, "a": {"command": "a"}}, "m": [1]})";
    ordered_json entry = {{"command", "/bin/cj"}, {"args", ordered_json::array()}};
    auto merged = merge_server(text, "claude-jobs", entry);
    ASSERT_TRUE(merged);
    EXPECT_EQ(merged->change, Change::Added);
    EXPECT_EQ(merged->config.dump(),
              R"({"z":1,"mcpServers":{"b":{"command":"b"},"a":{"command":"a"},)"
              R"("claude-jobs":{"command":"/bin/cj","args":[]}},"m":[1]})");
    auto again = merge_server(merged->config.dump(), "claude-jobs", entry);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->change, Change::Unchanged);
    auto changed = merge_server(merged->config.dump(), "claude-jobs",
                                {{"command", "/new/cj"}, {"args", ordered_json::array()}});
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->change, Change::Updated);
    EXPECT_EQ(changed->config["mcpServers"]["claude-jobs"]["command"], "/new/cj");
    EXPECT_EQ(changed->config["mcpServers"].size(), 3u);
}

TEST(ClientConfig, MergeIntoNothingAndRefusals) {
    auto fresh = merge_server("", "s", {{"command", "x"}});
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->config.dump(), R"({"mcpServers":{"s":{"command":"x"}}})");
    EXPECT_TRUE(merge_server("  \n", "s", {{"command", "x"}}));
    EXPECT_FALSE(merge_server("{oops", "s", {}));
    EXPECT_FALSE(merge_server("[1,2]", "s", {}));
    EXPECT_FALSE(merge_server(R"({"mcpServers": []})", "s", {}));
}

// Writing the file back walks the whole document: one nested 200,000 deep is refused first.
TEST(ClientConfig, DeeplyNestedConfigIsRefused) {
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    auto merged = merge_server(R"({"mcpServers": {"other": {"args": )" + deep + "}}}", "s",
                               {{"command", "x"}});
    ASSERT_FALSE(merged);
    EXPECT_EQ(merged.error().message, "its JSON is nested deeper than 128 levels");
}

TEST(ClientConfig, ReplaceKeepsABackupAndTheMode) {
    testing::TempDir dir("cj-clientcfg");
    std::string path = dir.write("cfg.json", "old content");
    ::chmod(path.c_str(), 0644);
    auto backup = replace_file_with_backup(path, "new content");
    ASSERT_TRUE(backup) << backup.error().message;
    ASSERT_FALSE(backup->empty());
    std::ifstream b(*backup), n(path);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(b), {}), "old content");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(n), {}), "new content");
    struct stat st {};
    ::stat(path.c_str(), &st);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    ::stat(backup->c_str(), &st);
    EXPECT_EQ(st.st_mode & 0777, 0644u);

    auto none = replace_file_with_backup(dir.file("new.json"), "{}");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty()) << "nothing to back up";
}

TEST(ClientConfig, ReplaceWritesThroughASymlink) {
    testing::TempDir dir("cj-clientcfg");
    std::string target = dir.write("dotfiles/real.json", "{}");
    std::string link = dir.file("link.json");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    ASSERT_TRUE(replace_file_with_backup(link, "updated"));
    EXPECT_TRUE(std::filesystem::is_symlink(link)) << "the link stays a link";
    std::ifstream t(target);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(t), {}), "updated");
}

}  // namespace
}  // namespace cj::cli

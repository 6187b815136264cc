// The tmux backend's pure parts: names and quoting, the interactive argument vector and hook
// settings, settings and state parsing, the hook's records, the pane's screen reading, and
// the core's folding of interactive state records.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/jobs/interactive_state.h"
#include "helper/hook.h"
#include "helper/screen.h"
#include "interactive.h"
#include "names.h"
#include "state.h"

namespace cj::tmux {
namespace {

using nlohmann::json;

TEST(TmuxNamesTest, SessionNamesAreDistinctForDistinctIds) {
    EXPECT_EQ(session_name("abc"), "cj-abc");
    EXPECT_EQ(session_name("a.b"), "cj-a+b");
    EXPECT_NE(session_name("a.b"), session_name("a_b"));
}

TEST(TmuxNamesTest, ShellQuoteLeavesPlainWordsAndQuotesTheRest) {
    EXPECT_EQ(shell_quote("tmux"), "tmux");
    EXPECT_EQ(shell_quote("/usr/bin/tmux"), "/usr/bin/tmux");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote("$(rm -rf x);`y`"), "'$(rm -rf x);`y`'");
    EXPECT_EQ(shell_quote("~x"), "'~x'");
}

TEST(TmuxNamesTest, AttachCommandIsTheSimpleForm) {
    EXPECT_EQ(attach_command("tmux", "claude-jobs", "cj-abc"),
              "tmux -L claude-jobs attach -t cj-abc");
    EXPECT_EQ(attach_command("/opt/my tmux/tmux", "s", "cj-a+b"),
              "'/opt/my tmux/tmux' -L s attach -t cj-a+b");
}

TEST(TmuxNamesTest, SocketNames) {
    EXPECT_TRUE(valid_socket_name("claude-jobs"));
    EXPECT_TRUE(valid_socket_name("a.b_c-1"));
    EXPECT_FALSE(valid_socket_name(""));
    EXPECT_FALSE(valid_socket_name(".."));
    EXPECT_FALSE(valid_socket_name("a/b"));
    EXPECT_FALSE(valid_socket_name("a b"));
    EXPECT_FALSE(valid_socket_name(std::string(65, 'a')));
}

TEST(TmuxInteractiveTest, DropsPrintOnlyFlagsAndAddsSettings) {
    std::vector<std::string> print = {"-p",
                                      "--output-format",
                                      "stream-json",
                                      "--verbose",
                                      "--model",
                                      "sonnet",
                                      "--permission-mode",
                                      "acceptEdits",
                                      "--allowedTools=Bash",
                                      "--resume",
                                      "uuid",
                                      "--max-budget-usd",
                                      "0.5",
                                      "--extra"};
    auto args = interactive_args(print, "/s/claude-settings.json");
    std::vector<std::string> expected = {
        "--model",  "sonnet", "--permission-mode", "acceptEdits", "--allowedTools=Bash",
        "--resume", "uuid",   "--extra",           "--settings",  "/s/claude-settings.json"};
    EXPECT_EQ(args, expected);
}

TEST(TmuxInteractiveTest, HookSettingsQuoteEveryPath) {
    json settings =
        json::parse(hook_settings_json("/opt/cj bin/claude-jobs-tmux", "/state dir/it's/jobs/abc"));
    for (const auto& event : hook_events()) {
        ASSERT_TRUE(settings["hooks"].contains(event)) << event;
        std::string command = settings["hooks"][event][0]["hooks"][0]["command"];
        EXPECT_EQ(command,
                  "'/opt/cj bin/claude-jobs-tmux' hook --job-dir '/state dir/it'\\''s/jobs/abc'");
        EXPECT_EQ(settings["hooks"][event][0]["hooks"][0]["type"], "command");
    }
}

TEST(TmuxSettingsTest, DefaultsAndStrictKeys) {
    Settings s;
    std::string why;
    ASSERT_TRUE(parse_settings("{}", s, why)) << why;
    EXPECT_EQ(s.socket, "claude-jobs");
    EXPECT_EQ(s.mode, "print");
    EXPECT_EQ(s.keepSessionSec, 600);
    ASSERT_TRUE(parse_settings(R"({"socket":"x","mode":"interactive","keepSessionSec":0,
                                  "tmuxPath":"/usr/bin/tmux","columns":100,"rows":30})",
                               s, why))
        << why;
    EXPECT_EQ(s.mode, "interactive");
    EXPECT_EQ(s.keepSessionSec, 0);
    EXPECT_FALSE(parse_settings(R"({"sokcet":"x"})", s, why));
    EXPECT_NE(why.find("unknown key \"sokcet\""), std::string::npos) << why;
    EXPECT_FALSE(parse_settings(R"({"mode":"watch"})", s, why));
    EXPECT_NE(why.find("mode"), std::string::npos);
    EXPECT_FALSE(parse_settings(R"({"socket":"../x"})", s, why));
    EXPECT_FALSE(parse_settings(R"({"keepSessionSec":-1})", s, why));
    EXPECT_FALSE(parse_settings("[1]", s, why));
}

TEST(TmuxStateTest, RoundTripsAndRefusesBadInput) {
    PaneState state{"sock", "/usr/bin/tmux", "cj-a", "/s/jobs/a", "interactive", 1234, 99, "boot"};
    PaneState back;
    std::string why;
    ASSERT_TRUE(decode_state(encode_state(state), back, why)) << why;
    EXPECT_EQ(back.session, "cj-a");
    EXPECT_EQ(back.panePid, 1234);
    EXPECT_EQ(back.paneStartTime, 99u);
    EXPECT_FALSE(decode_state("not json", back, why));
    json bad = json::parse(encode_state(state));
    bad["panePid"] = 1;  // would signal init
    EXPECT_FALSE(decode_state(bad.dump(), back, why));
    bad = json::parse(encode_state(state));
    bad["socket"] = "../../etc";
    EXPECT_FALSE(decode_state(bad.dump(), back, why));
    bad = json::parse(encode_state(state));
    bad["jobDir"] = "relative";
    EXPECT_FALSE(decode_state(bad.dump(), back, why));
}

TEST(TmuxHookTest, StopRecordsTheAnswerInBothFiles) {
    auto lines = hook_lines(
        R"({"session_id":"s1","hook_event_name":"Stop","last_assistant_message":"hello world"})",
        42);
    json state = json::parse(lines.state);
    EXPECT_EQ(state["event"], "Stop");
    EXPECT_EQ(state["lastText"], "hello world");
    EXPECT_EQ(state["at"], 42);
    json event = json::parse(lines.event);
    EXPECT_EQ(event["type"], "assistant");
    EXPECT_EQ(event["message"]["content"][0]["text"], "hello world");
}

TEST(TmuxHookTest, StopFailureRecordsTheError) {
    auto lines = hook_lines(R"({"hook_event_name":"StopFailure","error":"authentication_failed",
        "last_assistant_message":"Invalid API key"})",
                            1);
    json state = json::parse(lines.state);
    EXPECT_EQ(state["error"], "authentication_failed");
    EXPECT_EQ(state["lastText"], "Invalid API key");
    EXPECT_EQ(json::parse(lines.event)["message"]["content"][0]["text"], "Invalid API key");
}

TEST(TmuxHookTest, SessionStartGivesTheSessionId) {
    auto lines = hook_lines(
        R"({"session_id":"s1","hook_event_name":"SessionStart","source":"startup","model":"m"})",
        1);
    json event = json::parse(lines.event);
    EXPECT_EQ(event["type"], "system");
    EXPECT_EQ(event["subtype"], "init");
    EXPECT_EQ(event["session_id"], "s1");
}

TEST(TmuxHookTest, NotificationsAndGarbage) {
    auto lines = hook_lines(R"({"hook_event_name":"Notification","notification_type":
        "permission_prompt","message":"Claude needs your permission to use Bash"})",
                            1);
    json state = json::parse(lines.state);
    EXPECT_EQ(state["notificationType"], "permission_prompt");
    EXPECT_TRUE(lines.event.empty());
    EXPECT_TRUE(hook_lines("not json", 1).state.empty());
    EXPECT_TRUE(hook_lines("{}", 1).state.empty());
}

TEST(TmuxHookTest, PreToolUseKeepsLargeInputsSmall) {
    json payload = {{"hook_event_name", "PreToolUse"},
                    {"tool_name", "Write"},
                    {"tool_use_id", "t1"},
                    {"tool_input", {{"file_path", "/a"}, {"content", std::string(100000, 'x')}}}};
    auto lines = hook_lines(payload.dump(), 1);
    EXPECT_LT(lines.event.size(), 2000u);
    json event = json::parse(lines.event);
    EXPECT_EQ(event["message"]["content"][0]["name"], "Write");
    EXPECT_EQ(event["message"]["content"][0]["input"]["file_path"], "/a");
}

// The hook's input is claude's, and a tool's input in it is the model's: nested 200,000 deep it
// used to overflow the hook's stack when the input was copied and measured.
TEST(TmuxHookTest, DeeplyNestedInputIsIgnoredWithoutCrashing) {
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    auto lines = hook_lines(
        R"({"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1","tool_input":{"command":)" +
            deep + "}}",
        1);
    EXPECT_TRUE(lines.state.empty());
    EXPECT_TRUE(lines.event.empty());
}

TEST(TmuxScreenTest, QuestionsAndReadiness) {
    std::string trust =
        "────\n  Do you trust the files in this folder?\n\n  ❯ 1. Yes, proceed\n    2. No, exit\n\n"
        "  Enter to confirm · Esc to cancel\n";
    std::string question;
    ASSERT_TRUE(screen_question(trust, question));
    EXPECT_NE(question.find("Do you trust the files in this folder?"), std::string::npos);
    EXPECT_EQ(question.find("───"), std::string::npos);
    EXPECT_FALSE(screen_ready(trust));
    std::string ready =
        " ▐▛███▛█   Claude Code\n────\n❯ \n────\n  ⏵⏵ bypass permissions "
        "on\n";
    EXPECT_TRUE(screen_ready(ready));
    EXPECT_FALSE(screen_question(ready, question));
    EXPECT_FALSE(screen_ready(""));
}

TEST(TmuxScreenTest, PasteTextDropsControls) {
    EXPECT_EQ(paste_text("line one\r\nline two\n\n"), "line one\nline two");
    EXPECT_EQ(paste_text("a\x1b[201~b\tc\x7f"), "a[201~b\tc");
    EXPECT_EQ(paste_text("\x01\x02"), "");
}

}  // namespace
}  // namespace cj::tmux

namespace cj::jobs {
namespace {

TEST(InteractiveStateTest, FoldsRecordsInOrder) {
    EXPECT_EQ(fold_interactive_records("").state, "starting");
    auto s = fold_interactive_records(
        "{\"event\":\"SessionStart\"}\n{\"event\":\"InputSent\"}\n{\"event\":\"UserPromptSubmit\"}"
        "\n");
    EXPECT_EQ(s.state, "working");
    s = fold_interactive_records(
        "{\"event\":\"InputSent\"}\n{\"event\":\"Stop\",\"lastText\":\"hi\"}\n");
    EXPECT_EQ(s.state, "waiting_for_input");
    EXPECT_EQ(s.lastText, "hi");
    EXPECT_TRUE(awaits_input(s));
    s = fold_interactive_records(
        "{\"event\":\"Stop\",\"lastText\":\"hi\"}\n{\"event\":\"InputSent\"}\n");
    EXPECT_EQ(s.state, "working") << "a message sent after an answer makes the job busy again";
    EXPECT_FALSE(awaits_input(s));
    s = fold_interactive_records(
        "{\"event\":\"Notification\",\"notificationType\":\"permission_prompt\",\"message\":\"May "
        "I?\"}\n");
    EXPECT_EQ(s.state, "asking");
    EXPECT_EQ(s.question, "May I?");
    s = fold_interactive_records("{\"event\":\"ScreenQuestion\",\"question\":\"Trust?\"}\n");
    EXPECT_EQ(s.state, "asking");
    s = fold_interactive_records(
        "{\"event\":\"ScreenQuestion\",\"question\":\"Trust?\"}\n{\"event\":\"SessionStart\"}\n");
    EXPECT_EQ(s.state, "starting");
    s = fold_interactive_records(
        "{\"event\":\"StopFailure\",\"error\":\"rate_limit\",\"lastText\":\"x\"}\n");
    EXPECT_EQ(s.state, "waiting_for_input");
    EXPECT_EQ(s.error, "rate_limit");
    s = fold_interactive_records(
        "{\"event\":\"StopFailure\",\"error\":\"rate_limit\"}\n{\"event\":\"InputSent\"}\n");
    EXPECT_TRUE(s.error.empty()) << "a new message clears the error";
    s = fold_interactive_records("{\"event\":\"Stop\"}\n{\"event\":\"SessionEnd\"}\n");
    EXPECT_EQ(s.state, "ended");
}

TEST(InteractiveStateTest, SkipsDeeplyNestedRecords) {
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    auto s = fold_interactive_records(
        "{\"event\":\"Stop\",\"lastText\":\"hi\"}\n"
        "{\"event\":\"InputSent\",\"x\":" +
        deep + "}\n");
    EXPECT_EQ(s.state, "waiting_for_input");
    EXPECT_EQ(s.lastText, "hi");
}

TEST(InteractiveStateTest, IgnoresTornAndBadLines) {
    auto s = fold_interactive_records("garbage\n{\"event\":\"Stop\"}\n{\"event\":\"Inpu");
    EXPECT_EQ(s.state, "waiting_for_input");
}

}  // namespace
}  // namespace cj::jobs

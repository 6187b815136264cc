// Tests of what a job runs (SPEC §3.3): claude's argument vector built from the resolved
// settings, the job's environment, and the settings' JSON form kept in the job index.
#include "core/jobs/start_request.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using cj::config::ClaudeConfig;
using cj::jobs::claude_args;
using cj::jobs::job_environment;
using cj::jobs::JobSettings;
using Argv = std::vector<std::string>;

const Argv kBase = {"-p", "--output-format", "stream-json", "--verbose", "--strict-mcp-config"};

Argv with_base(const Argv& rest) {
    Argv out = kBase;
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

std::map<std::string, std::vector<std::string>> by_name(const std::vector<std::string>& env) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : env) {
        auto eq = e.find('=');
        out[e.substr(0, eq)].push_back(eq == std::string::npos ? "" : e.substr(eq + 1));
    }
    return out;
}

TEST(StartRequestTest, DefaultSettingsGiveTheStreamJsonBase) {
    EXPECT_EQ(claude_args(JobSettings{}, ClaudeConfig{}), kBase);
}

TEST(StartRequestTest, EverySettingInItsPlace) {
    JobSettings s;
    s.model = "claude-opus-4";
    s.permissionMode = "acceptEdits";
    s.allowedTools = {"Bash(git:*)", "Read"};
    s.disallowedTools = {"WebFetch"};
    s.resumeSessionId = "0b9f6c1e-1111-4222-8333-944455556666";
    s.forkSession = true;
    s.maxBudgetUsd = 2.5;
    s.timeoutSec = 60;  // enforced by the supervisor, never a claude flag
    ClaudeConfig claude;
    claude.extraArgs = {"--add-dir", "/data"};
    EXPECT_EQ(claude_args(s, claude),
              with_base({"--model", "claude-opus-4", "--permission-mode", "acceptEdits",
                         "--allowedTools=Bash(git:*)", "--allowedTools=Read",
                         "--disallowedTools=WebFetch", "--resume",
                         "0b9f6c1e-1111-4222-8333-944455556666", "--fork-session",
                         "--max-budget-usd", "2.5", "--add-dir", "/data"}));
}

TEST(StartRequestTest, EachSettingAlone) {
    JobSettings model;
    model.model = "sonnet";
    EXPECT_EQ(claude_args(model, {}), with_base({"--model", "sonnet"}));

    JobSettings mode;
    mode.permissionMode = "bypassPermissions";
    EXPECT_EQ(claude_args(mode, {}), with_base({"--permission-mode", "bypassPermissions"}));

    JobSettings resume;
    resume.resumeSessionId = "s-1";
    EXPECT_EQ(claude_args(resume, {}), with_base({"--resume", "s-1"}));

    JobSettings budget;
    budget.maxBudgetUsd = 0.25;
    EXPECT_EQ(claude_args(budget, {}), with_base({"--max-budget-usd", "0.25"}));

    ClaudeConfig extra;
    extra.extraArgs = {"--debug"};
    EXPECT_EQ(claude_args(JobSettings{}, extra), with_base({"--debug"}));
}

TEST(StartRequestTest, ForkSessionNeedsAResume) {
    JobSettings s;
    s.forkSession = true;
    Argv args = claude_args(s, {});
    EXPECT_EQ(std::count(args.begin(), args.end(), "--fork-session"), 0);
    EXPECT_EQ(args, kBase);
}

TEST(StartRequestTest, ToolValuesStayBoundToTheirFlag) {
    JobSettings s;
    s.allowedTools = {"--dangerously-skip-permissions", "-p", "Bash(rm -rf /)", "a b"};
    s.disallowedTools = {"--model=evil"};
    Argv args = claude_args(s, {});
    EXPECT_EQ(args, with_base({"--allowedTools=--dangerously-skip-permissions", "--allowedTools=-p",
                               "--allowedTools=Bash(rm -rf /)", "--allowedTools=a b",
                               "--disallowedTools=--model=evil"}));
    EXPECT_EQ(std::count(args.begin(), args.end(), "--dangerously-skip-permissions"), 0);
    EXPECT_EQ(std::count(args.begin(), args.end(), "-p"), 1);
}

TEST(StartRequestTest, ExtraArgsComeLast) {
    JobSettings s;
    s.model = "m";
    s.maxBudgetUsd = 1;
    ClaudeConfig claude;
    claude.extraArgs = {"--append-system-prompt", "be brief"};
    Argv args = claude_args(s, claude);
    ASSERT_GE(args.size(), 2u);
    EXPECT_EQ(args[args.size() - 2], "--append-system-prompt");
    EXPECT_EQ(args.back(), "be brief");
}

TEST(StartRequestTest, BudgetKeepsItsValue) {
    for (double budget : {0.01, 0.1234, 1.0, 2.5, 999999.0}) {
        JobSettings s;
        s.maxBudgetUsd = budget;
        Argv args = claude_args(s, {});
        auto it = std::find(args.begin(), args.end(), "--max-budget-usd");
        ASSERT_NE(it, args.end());
        ASSERT_NE(it + 1, args.end());
        EXPECT_NEAR(std::strtod((it + 1)->c_str(), nullptr), budget, budget * 1e-6) << *(it + 1);
    }
}

// claude_start accepts any budget above zero (maxBudgetUsd >= 1e-9): the CLI must never be
// told a budget of zero.
TEST(StartRequestTest, PositiveBudgetIsNeverRenderedAsZero) {
    for (double budget : {0.00004, 0.000001}) {
        JobSettings s;
        s.maxBudgetUsd = budget;
        Argv args = claude_args(s, {});
        auto it = std::find(args.begin(), args.end(), "--max-budget-usd");
        ASSERT_NE(it, args.end());
        ASSERT_NE(it + 1, args.end());
        EXPECT_GT(std::strtod((it + 1)->c_str(), nullptr), 0.0)
            << budget << " became \"" << *(it + 1) << "\"";
    }
}

TEST(StartRequestTest, ThePromptIsNeverAnArgument) {
    // Nothing in JobSettings carries the prompt; the argument vector holds only flags and
    // their values, so a prompt that looks like a flag cannot turn into one.
    JobSettings s;
    s.model = "m";
    Argv args = claude_args(s, {});
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--model") {
            ++i;  // the value
            continue;
        }
        if (args[i] == "--output-format") {
            ++i;
            continue;
        }
        EXPECT_EQ(args[i].rfind("-", 0), 0u) << "a stray positional argument: " << args[i];
    }
}

TEST(StartRequestTest, JobEnvironmentDropsSetsAndOverrides) {
    std::vector<std::string> base = {"PATH=/usr/bin:/bin",
                                     "HOME=/home/me",
                                     "ANTHROPIC_API_KEY=secret",
                                     "ANTHROPIC_API_KEY_HELPER=keep",
                                     "CLAUDE_JOBS_JOB_ID=parent-job",
                                     "CLAUDE_JOBS_DEPTH=1",
                                     "FOO=from-server",
                                     "OPTS=a=b=c",
                                     "EMPTY="};
    ClaudeConfig claude;
    claude.removeEnv = {"ANTHROPIC_API_KEY", "NOT_PRESENT"};
    claude.env = {{"FOO", "from-config"}, {"NEW_VAR", "new"}};

    auto env = job_environment(base, claude, "child-job", 2);
    auto vars = by_name(env);
    for (const auto& [name, values] : vars) EXPECT_EQ(values.size(), 1u) << name << " twice";

    EXPECT_EQ(vars.count("ANTHROPIC_API_KEY"), 0u);
    EXPECT_EQ(vars["ANTHROPIC_API_KEY_HELPER"], std::vector<std::string>{"keep"})
        << "removeEnv must match whole names";
    EXPECT_EQ(vars["PATH"], std::vector<std::string>{"/usr/bin:/bin"});
    EXPECT_EQ(vars["HOME"], std::vector<std::string>{"/home/me"});
    EXPECT_EQ(vars["OPTS"], std::vector<std::string>{"a=b=c"});
    EXPECT_EQ(vars["EMPTY"], std::vector<std::string>{""});
    EXPECT_EQ(vars["CLAUDE_JOBS_JOB_ID"], std::vector<std::string>{"child-job"});
    EXPECT_EQ(vars["CLAUDE_JOBS_DEPTH"], std::vector<std::string>{"2"});
    EXPECT_EQ(vars["FOO"], std::vector<std::string>{"from-config"});
    EXPECT_EQ(vars["NEW_VAR"], std::vector<std::string>{"new"});
    EXPECT_EQ(env.size(), 9u);
}

TEST(StartRequestTest, JobEnvironmentWithoutConfigKeepsTheBase) {
    std::vector<std::string> base = {"A=1", "B=2"};
    auto env = job_environment(base, ClaudeConfig{}, "j", 1);
    EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=2", "CLAUDE_JOBS_JOB_ID=j",
                                             "CLAUDE_JOBS_DEPTH=1"}));
}

TEST(StartRequestTest, ProcessEnvironmentReflectsTheProcess) {
    ASSERT_EQ(::setenv("CJ_START_REQUEST_TEST_VAR", "x=y", 1), 0);
    auto env = cj::jobs::process_environment();
    ::unsetenv("CJ_START_REQUEST_TEST_VAR");
    EXPECT_NE(std::find(env.begin(), env.end(), "CJ_START_REQUEST_TEST_VAR=x=y"), env.end());
}

TEST(StartRequestTest, JobSettingsRoundTripThroughJson) {
    JobSettings s;
    s.model = "opus";
    s.permissionMode = "plan";
    s.allowedTools = {"Read", "Bash(ls:*)"};
    s.disallowedTools = {"Write"};
    s.resumeSessionId = "sess";
    s.forkSession = true;
    s.maxBudgetUsd = 3.75;
    s.timeoutSec = 1800;
    nlohmann::json j = s.to_json();
    JobSettings back = JobSettings::from_json(j);
    EXPECT_EQ(back.model, s.model);
    EXPECT_EQ(back.permissionMode, s.permissionMode);
    EXPECT_EQ(back.allowedTools, s.allowedTools);
    EXPECT_EQ(back.disallowedTools, s.disallowedTools);
    EXPECT_EQ(back.resumeSessionId, s.resumeSessionId);
    EXPECT_TRUE(back.forkSession);
    ASSERT_TRUE(back.maxBudgetUsd.has_value());
    EXPECT_DOUBLE_EQ(*back.maxBudgetUsd, 3.75);
    EXPECT_EQ(back.timeoutSec, 1800);
    EXPECT_EQ(claude_args(back, {}), claude_args(s, {}));
    // Through text too, as the job index stores it.
    EXPECT_EQ(JobSettings::from_json(nlohmann::json::parse(j.dump())).to_json(), j);
}

TEST(StartRequestTest, JobSettingsWithoutBudgetStaysWithout) {
    JobSettings s;
    s.model = "m";
    nlohmann::json j = s.to_json();
    EXPECT_FALSE(j.contains("maxBudgetUsd"));
    JobSettings back = JobSettings::from_json(j);
    EXPECT_FALSE(back.maxBudgetUsd.has_value());
    EXPECT_EQ(back.timeoutSec, 0);
    EXPECT_FALSE(back.forkSession);
}

TEST(StartRequestTest, JobSettingsFromPartialOrNonObjectJson) {
    JobSettings fromArray = JobSettings::from_json(nlohmann::json::array());
    EXPECT_EQ(fromArray.model, "");
    EXPECT_TRUE(fromArray.allowedTools.empty());
    JobSettings discarded =
        JobSettings::from_json(nlohmann::json::parse("not json", nullptr, false));
    EXPECT_EQ(discarded.timeoutSec, 0);
    JobSettings partial = JobSettings::from_json({{"model", "x"}});
    EXPECT_EQ(partial.model, "x");
    EXPECT_EQ(partial.permissionMode, "");
    EXPECT_FALSE(partial.maxBudgetUsd.has_value());
}

}  // namespace

namespace {

TEST(StartRequestTest, EachSpecOptionIsOneArgvElement) {
    JobSettings s;
    s.options.effort = "high";
    s.options.maxTurns = 3;
    s.options.appendSystemPrompt = "Be brief. --model=evil";
    s.options.addDirs = {"/a", "/b c"};
    s.options.jsonSchema = nlohmann::json{{"type", "object"}};
    s.options.mcpConfig = nlohmann::json{{"mcpServers", nlohmann::json::object()}};
    s.options.settings = nlohmann::json{{"model", "m"}};
    s.options.fallbackModel = "sonnet";
    EXPECT_EQ(claude_args(s, {}),
              with_base({"--effort=high", "--max-turns=3",
                         "--append-system-prompt=Be brief. --model=evil", "--add-dir=/a",
                         "--add-dir=/b c", R"(--json-schema={"type":"object"})",
                         R"(--mcp-config={"mcpServers":{}})", R"(--settings={"model":"m"})",
                         "--fallback-model=sonnet"}));
    JobSettings loose;
    loose.options.strictMcpConfig = false;
    EXPECT_EQ(claude_args(loose, {}), Argv({"-p", "--output-format", "stream-json", "--verbose"}));
    // Kept in the index and read back the same.
    auto back = JobSettings::from_json(s.to_json());
    EXPECT_EQ(claude_args(back, {}), claude_args(s, {}));
}

TEST(StartRequestTest, SpecOptionValuesAreChecked) {
    using cj::jobs::check_spec_options;
    using cj::jobs::SpecOptions;
    EXPECT_TRUE(check_spec_options(SpecOptions{}));
    SpecOptions o;
    o.appendSystemPrompt = "-p";
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.appendSystemPrompt = "two\nlines";
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.fallbackModel = "--model=x";
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.effort = "huge";
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.maxTurns = 0;
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.addDirs = {"relative"};
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.addDirs = {"/"};
    EXPECT_TRUE(check_spec_options(o));
    o = {};
    o.mcpConfig = nlohmann::json{{"servers", 1}};
    EXPECT_FALSE(check_spec_options(o));
    o = {};
    o.jsonSchema = nlohmann::json::array();
    EXPECT_FALSE(check_spec_options(o));
}

}  // namespace

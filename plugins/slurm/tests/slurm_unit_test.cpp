// The slurm backend's pure parts: settings, the submission (script, argument file, sbatch's
// argv and environment), squeue's answers and the persisted state. No Slurm needed.
#include <gtest/gtest.h>

#include <algorithm>

#include "queue.h"
#include "settings.h"
#include "state.h"
#include "submit.h"

namespace cj::slurm {
namespace {

bool has(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

TEST(SlurmSettingsTest, DefaultsAndEveryKey) {
    Settings s;
    std::string why;
    ASSERT_TRUE(parse_settings_json("", s, why)) << why;
    EXPECT_EQ(s.environment, std::vector<std::string>{"*"});
    ASSERT_TRUE(parse_settings_json(
        R"({"partition": "gpu", "account": "lab", "qos": "normal", "cpus": 4, "memory": "8G",
            "timeLimit": "1-12:00", "constraint": "avx512&ib", "extraArgs": ["--exclusive"],
            "sbatchPath": "/opt/slurm/bin/sbatch", "squeuePath": "/opt/slurm/bin/squeue",
            "scancelPath": "/opt/slurm/bin/scancel", "scontrolPath": "/opt/slurm/bin/scontrol",
            "environment": ["ANTHROPIC_*", "PATH"], "sharedRoot": "/shared/",
            "runnerPath": "/shared/bin/claude-jobs-runner"})",
        s, why))
        << why;
    EXPECT_EQ(s.cpus, 4);
    EXPECT_EQ(s.memory, "8G");
    EXPECT_EQ(s.sharedRoot, "/shared");
    EXPECT_EQ(s.timeLimit, "1-12:00");
    ASSERT_TRUE(parse_settings_json(R"({"memory": 2048, "timeLimit": 90})", s, why)) << why;
    EXPECT_EQ(s.memory, "2048");
    EXPECT_EQ(s.timeLimit, "90");
}

TEST(SlurmSettingsTest, UnknownKeysAndBadValuesAreRefusedNamingTheKey) {
    Settings s;
    std::string why;
    EXPECT_FALSE(parse_settings_json(R"({"partiton": "x"})", s, why));
    EXPECT_NE(why.find("partiton"), std::string::npos) << why;
    for (const char* bad :
         {R"({"partition": "--wrap=id"})", R"({"partition": "a b"})", R"({"cpus": 0})",
          R"({"cpus": "2"})", R"({"memory": "lots"})", R"({"timeLimit": "soon"})",
          R"({"extraArgs": ["x"]})", R"({"extraArgs": ["--a\nb"]})", R"({"sbatchPath": "sbatch"})",
          R"({"environment": ["A B"]})", R"({"sharedRoot": "relative"})",
          R"x({"account": "$(id)"})x"}) {
        EXPECT_FALSE(parse_settings_json(bad, s, why)) << bad;
        std::string text = bad;
        std::string key = text.substr(2, text.find('"', 2) - 2);
        EXPECT_NE(why.find(key), std::string::npos) << bad << ": " << why;
    }
}

TEST(SlurmSettingsTest, PathWithinComparesWholeComponents) {
    EXPECT_TRUE(path_within("/shared/state", "/shared"));
    EXPECT_TRUE(path_within("/shared", "/shared"));
    EXPECT_FALSE(path_within("/shared2/state", "/shared"));
    EXPECT_TRUE(path_within("/anything", "/"));
}

TEST(SlurmSubmitTest, TheScriptHoldsOnlyTheQuotedArgumentFilePath) {
    std::string script = batch_script("/st ate/it's $(x)/jobs/a/slurm-argv");
    EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
    EXPECT_NE(script.find("mapfile -d '' -t argv < '/st ate/it'\\''s $(x)/jobs/a/slurm-argv'"),
              std::string::npos)
        << script;
    EXPECT_NE(script.find("exec \"${argv[@]}\""), std::string::npos);
    EXPECT_EQ(shell_quote("a'b"), "'a'\\''b'");
}

TEST(SlurmSubmitTest, ArgumentsAreNulTerminated) {
    EXPECT_EQ(encode_argv({"a b", "$(c)", ""}), std::string("a b\0$(c)\0\0", 10));
}

TEST(SlurmSubmitTest, SbatchArgvHasFixedOptionsAndTheSettings) {
    Settings s;
    s.partition = "p";
    s.cpus = 2;
    s.memory = "1G";
    s.extraArgs = {"--exclusive"};
    auto argv = sbatch_argv(s, "/usr/bin/sbatch", "job-1", "/state/jobs/job-1", 100);
    EXPECT_EQ(argv.front(), "/usr/bin/sbatch");
    for (const char* want : {"--parsable", "--job-name=claude-jobs-job-1", "--export=ALL",
                             "--no-requeue", "--output=/state/jobs/job-1/slurm.out", "--time=4",
                             "--partition=p", "--cpus-per-task=2", "--mem=1G", "--exclusive"})
        EXPECT_TRUE(has(argv, want)) << want;
    // A folder with Slurm's pattern characters gets no output file rather than a wrong one.
    EXPECT_TRUE(has(sbatch_argv(s, "/sbatch", "j", "/st%j/jobs/j", 0), "--output=/dev/null"));
    EXPECT_FALSE(time_limit(Settings{}, 0));
    Settings fixed;
    fixed.timeLimit = "2:00:00";
    EXPECT_EQ(*time_limit(fixed, 10), "2:00:00");
}

TEST(SlurmSubmitTest, TheEnvironmentIsSelectedAndKeepsSlurmsOwnOut) {
    std::vector<std::string> job = {
        "PATH=/bin", "ANTHROPIC_API_KEY=k", "SBATCH_PARTITION=x", "SLURM_JOB_ID=7",
        "OTHER=1",   "SLURM_CONF=/job/conf"};
    auto all = sbatch_env(job, {"*"}, "/etc/slurm/slurm.conf");
    EXPECT_TRUE(has(all, "PATH=/bin"));
    EXPECT_TRUE(has(all, "OTHER=1"));
    EXPECT_FALSE(has(all, "SBATCH_PARTITION=x"));
    EXPECT_FALSE(has(all, "SLURM_JOB_ID=7"));
    EXPECT_TRUE(has(all, "SLURM_CONF=/etc/slurm/slurm.conf"));
    auto some = sbatch_env(job, {"ANTHROPIC_*"}, "");
    EXPECT_EQ(some, std::vector<std::string>{"ANTHROPIC_API_KEY=k"});
}

TEST(SlurmSubmitTest, SbatchOutputIsAJobIdOptionallyWithACluster) {
    std::string id, cluster;
    ASSERT_TRUE(parse_sbatch_output("123\n", id, cluster));
    EXPECT_EQ(id, "123");
    EXPECT_EQ(cluster, "");
    ASSERT_TRUE(parse_sbatch_output("45;west\n", id, cluster));
    EXPECT_EQ(cluster, "west");
    EXPECT_FALSE(parse_sbatch_output("Submitted batch job 5", id, cluster));
    EXPECT_FALSE(parse_sbatch_output("5;we st", id, cluster));
}

TEST(SlurmQueueTest, ParsesSqueueAndDescribesStates) {
    auto entries = parse_queue(
        "12|PENDING||Resources\n13|RUNNING|node1|None\nbad line\n"
        "14|NODE_FAIL|node2|NodeDown\n");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries["12"].reason, "Resources");
    EXPECT_EQ(entries["13"].nodes, "node1");
    EXPECT_FALSE(ended_state("PENDING"));
    EXPECT_FALSE(ended_state("RUNNING"));
    EXPECT_FALSE(ended_state("SOMETHING_NEW"));
    EXPECT_TRUE(ended_state("PREEMPTED"));
    EXPECT_EQ(describe_pending("12", entries["12"]),
              "waiting in Slurm's queue (job 12): the cluster has no free resources for it now "
              "(Resources)");
    std::string failed = describe_end("14", entries["14"]);
    EXPECT_NE(failed.find("lost its node node2"), std::string::npos) << failed;
    EXPECT_NE(failed.find("NodeDown"), std::string::npos) << failed;
    EXPECT_NE(describe_end("9", {"TIMEOUT", "n", "TimeLimit"}).find("time limit"),
              std::string::npos);
    EXPECT_NE(describe_end("9", {"PREEMPTED", "n", "None"}).find("preempted"), std::string::npos);
}

TEST(SlurmStateTest, RoundTripsAndRefusesGarbage) {
    SlurmJob job{"4711", "", "/state/jobs/a"};
    SlurmJob back;
    std::string why;
    ASSERT_TRUE(decode_state(encode_state(job), back, why)) << why;
    EXPECT_EQ(back.slurmJobId, "4711");
    EXPECT_EQ(back.jobDir, "/state/jobs/a");
    EXPECT_FALSE(decode_state("{}", back, why));
    EXPECT_FALSE(
        decode_state(R"({"slurmJobId": "1;rm", "cluster": "", "jobDir": "/a"})", back, why));
    EXPECT_FALSE(decode_state(R"({"slurmJobId": "1", "cluster": "", "jobDir": "rel"})", back, why));
    EXPECT_FALSE(decode_state("not json", back, why));
}

}  // namespace
}  // namespace cj::slurm

// The container backend's pure parts: settings, the `run` command line, the env file, reading
// `inspect`, the state blob, and background commands running in order.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "host_files.h"
#include "inspect.h"
#include "process.h"
#include "run_args.h"
#include "settings.h"
#include "state.h"

namespace cj::container {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string after(const std::vector<std::string>& v, const std::string& flag) {
    auto it = std::find(v.begin(), v.end(), flag);
    return it == v.end() || it + 1 == v.end() ? "" : *(it + 1);
}

TEST(ContainerSettings, DefaultsWhenEmpty) {
    auto s = parse_settings("{}");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->runtime, "auto");
    EXPECT_EQ(s->claudePath, "claude");
    EXPECT_FALSE(s->mountClaudeConfig);
    EXPECT_TRUE(env_name_selected(s->env, "ANTHROPIC_API_KEY"));
    EXPECT_TRUE(env_name_selected(s->env, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"));
    EXPECT_FALSE(env_name_selected(s->env, "HOME"));
    EXPECT_FALSE(env_name_selected(s->env, "AWS_SECRET_ACCESS_KEY"));
}

TEST(ContainerSettings, ReadsEveryKey) {
    auto s = parse_settings(R"({"runtime":"podman","image":"x/y:1","claudePath":"/usr/bin/claude",
        "network":"none","cpus":1.5,"memory":"512m","user":"1234:1234",
        "mounts":[{"source":"/data","writable":true},{"source":"/a","target":"/b"}],
        "env":["FOO","BAR_*"],"mountClaudeConfig":true,"runtimeArgs":["--cap-drop=ALL"]})");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->cpus, "1.5");
    EXPECT_EQ(s->mounts.size(), 2u);
    EXPECT_EQ(s->mounts[0].target, "/data");
    EXPECT_TRUE(s->mounts[0].writable);
    EXPECT_FALSE(s->mounts[1].writable);
    EXPECT_TRUE(env_name_selected(s->env, "BAR_X"));
    EXPECT_FALSE(env_name_selected(s->env, "FOOD"));
}

TEST(ContainerSettings, RefusesUnknownKeysAndBadValues) {
    for (const char* bad :
         {R"({"imag":"x"})", R"({"runtime":"lxc"})", R"({"image":"--privileged"})",
          R"({"memory":"lots"})", R"({"user":"root"})", R"({"user":"1:2:3"})",
          R"({"mounts":[{"source":"relative"}]})", R"({"env":["A=B"]})", R"({"network":""})",
          R"({"cpus":"-1"})", R"({"mounts":[{"src":"/a"}]})", "[1]", "not json"}) {
        auto s = parse_settings(bad);
        EXPECT_FALSE(s) << bad;
        if (!s) {
            EXPECT_EQ(s.error().code, claude_jobs::ErrorCode::InvalidArgument);
        }
    }
    auto s = parse_settings(R"({"imag":"x"})");
    EXPECT_NE(s.error().message.find("imag"), std::string::npos);
}

claude_jobs::JobSpec sample_spec() {
    claude_jobs::JobSpec spec;
    spec.jobId = "J1";
    spec.jobDir = "/state/jobs/J1";
    spec.workFolder = "/home/me/work";
    spec.claudePath = "/host/claude";
    spec.claudeArgs = {"-p", "--output-format", "stream-json"};
    spec.timeoutSec = 60;
    spec.label = "x --privileged";
    spec.env = {"ANTHROPIC_API_KEY=sk-secret", "HOME=/root"};
    return spec;
}

RunInputs sample_inputs() {
    RunInputs in;
    in.runtime = "/usr/bin/podman";
    in.instance = "sandbox";
    in.runnerPath = "/opt/cj/bin/claude-jobs-runner";
    in.user = "1000:1000";
    in.envFile = "/state/container-env/J1.env";
    return in;
}

TEST(ContainerRunArgs, CommandLineHasNamesLabelsMountsAndNoSecrets) {
    Settings settings;
    settings.image = "img:1";
    settings.network = "none";
    settings.memory = "1g";
    settings.runtimeArgs = {"--cap-drop=ALL"};
    auto argv = build_run_argv(settings, sample_spec(), sample_inputs());
    ASSERT_TRUE(argv) << argv.error().message;
    EXPECT_EQ((*argv)[0], "/usr/bin/podman");
    EXPECT_EQ((*argv)[1], "run");
    EXPECT_EQ(after(*argv, "--name"), "claude-jobs-J1");
    EXPECT_TRUE(contains(*argv, "claude-jobs.job=J1"));
    EXPECT_TRUE(contains(*argv, "claude-jobs.instance=sandbox"));
    EXPECT_EQ(after(*argv, "--user"), "1000:1000");
    EXPECT_EQ(after(*argv, "--network"), "none");
    EXPECT_EQ(after(*argv, "--memory"), "1g");
    EXPECT_EQ(after(*argv, "--entrypoint"), kRunnerInContainer);
    EXPECT_TRUE(contains(*argv, "--pull=never"));
    EXPECT_TRUE(contains(*argv, "type=bind,source=/home/me/work,target=/home/me/work"));
    EXPECT_TRUE(contains(*argv, "type=bind,source=/state/jobs/J1,target=/state/jobs/J1"));
    EXPECT_TRUE(
        contains(*argv, std::string("type=bind,source=/opt/cj/bin/claude-jobs-runner,target=") +
                            kRunnerInContainer + ",ro"));
    // The image comes after every option of ours and the user's; claude's argv after it.
    auto image = std::find(argv->begin(), argv->end(), "img:1");
    ASSERT_NE(image, argv->end());
    EXPECT_LT(std::find(argv->begin(), argv->end(), "--cap-drop=ALL"), image);
    EXPECT_EQ(*(image + 1), "--job-dir");
    EXPECT_EQ(argv->back(), "stream-json");
    EXPECT_TRUE(contains(*argv, "claude"));
    for (const auto& arg : *argv) {
        EXPECT_EQ(arg.find("sk-secret"), std::string::npos) << "a secret on the command line";
        EXPECT_EQ(arg.find("privileged"), std::string::npos) << "the client's label reached argv";
    }
}

TEST(ContainerRunArgs, ExtraMountsAreReadOnlyUnlessWritable) {
    Settings settings;
    settings.mounts = {{"/data", "/data", false}, {"/cache", "/var/cache/x", true}};
    RunInputs in = sample_inputs();
    in.claudeConfig = {"/home/me/.claude"};
    auto argv = build_run_argv(settings, sample_spec(), in);
    ASSERT_TRUE(argv);
    EXPECT_TRUE(contains(*argv, "type=bind,source=/data,target=/data,ro"));
    EXPECT_TRUE(contains(*argv, "type=bind,source=/cache,target=/var/cache/x"));
    EXPECT_TRUE(contains(*argv, "type=bind,source=/home/me/.claude,target=/home/me/.claude"));
}

TEST(ContainerRunArgs, HostilePathsUseTheMountFormThatCanSayThem) {
    auto comma = mount_args("/w/a,b", "/w/a,b", true);
    ASSERT_TRUE(comma);
    EXPECT_EQ((*comma)[0], "--volume");
    EXPECT_EQ((*comma)[1], "/w/a,b:/w/a,b:rw");
    auto colon = mount_args("/w/a:b", "/w/a:b", false);
    ASSERT_TRUE(colon);
    EXPECT_EQ((*colon)[0], "--mount");
    EXPECT_EQ((*colon)[1], "type=bind,source=/w/a:b,target=/w/a:b,ro");
    auto both = mount_args("/w/a,b:c", "/w/a,b:c", true);
    ASSERT_FALSE(both);
    EXPECT_NE(both.error().message.find("rename"), std::string::npos);
    EXPECT_FALSE(mount_args("/w/a\nb", "/w/a\nb", true));
    EXPECT_FALSE(mount_args("relative", "/x", true));
}

TEST(ContainerRunArgs, EnvFileCarriesOnlySelectedNamesAndSandboxFlag) {
    auto text = env_file_text({"ANTHROPIC_*", "CLAUDE_JOBS_JOB_ID"},
                              {"ANTHROPIC_API_KEY=sk-1", "HOME=/root", "IS_SANDBOX=yes",
                               "CLAUDE_JOBS_JOB_ID=J1", "ANTHROPIC_BASE_URL=http://x"},
                              {"IS_SANDBOX=1"});
    ASSERT_TRUE(text);
    EXPECT_EQ(*text,
              "ANTHROPIC_API_KEY=sk-1\nCLAUDE_JOBS_JOB_ID=J1\nANTHROPIC_BASE_URL=http://"
              "x\nIS_SANDBOX=1\n");
    auto broken = env_file_text({"A"}, {"A=line\nsecretvalue"}, {});
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().message.find("secretvalue"), std::string::npos) << "the value leaked";
}

TEST(ContainerInspect, ReadsStatesAndMissingContainers) {
    std::vector<std::string> names = {"claude-jobs-a", "claude-jobs-b", "claude-jobs-c",
                                      "claude-jobs-d"};
    std::string out = "claude-jobs-a\trunning\t0\tfalse\ta\n/claude-jobs-b\texited\t137\ttrue\tb\n";
    std::string err =
        "Error: no such container claude-jobs-c\nError: No such container: claude-jobs-dd\n";
    auto found = parse_inspect(names, out, err);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found["claude-jobs-a"].kind, ContainerState::Kind::Running);
    EXPECT_EQ(found["claude-jobs-b"].kind, ContainerState::Kind::Exited);
    EXPECT_EQ(found["claude-jobs-b"].exitCode, 137);
    EXPECT_TRUE(found["claude-jobs-b"].oomKilled);
    EXPECT_EQ(found["claude-jobs-b"].jobLabel, "b");
    EXPECT_EQ(found["claude-jobs-c"].kind, ContainerState::Kind::Gone);
    EXPECT_EQ(found.count("claude-jobs-d"), 0u) << "another container's name is not this one's";
    EXPECT_TRUE(parse_inspect(names, "", "Error: cannot connect to the runtime\n").empty());
}

TEST(ContainerState, RoundTripsAndRefusesGarbage) {
    JobState state{"claude-jobs-x", "abc", "/usr/bin/podman", "/s/jobs/x"};
    JobState back;
    std::string why;
    ASSERT_TRUE(decode_state(encode_state(state), back, why)) << why;
    EXPECT_EQ(back.container, "claude-jobs-x");
    EXPECT_EQ(back.runtime, "/usr/bin/podman");
    EXPECT_FALSE(decode_state("{}", back, why));
    EXPECT_FALSE(decode_state("nope", back, why));
    EXPECT_FALSE(decode_state(
        R"({"container":"c","containerId":"","runtime":"podman","jobDir":""})", back, why));
}

TEST(ContainerProcess, CapturesOutputAndExitCode) {
    auto out =
        run_captured({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
    EXPECT_TRUE(out.started);
    EXPECT_EQ(out.exitCode, 3);
    EXPECT_EQ(out.out, "out\n");
    EXPECT_EQ(out.err, "err\n");
    auto slow = run_captured({"/bin/sleep", "10"}, std::chrono::milliseconds(200));
    EXPECT_TRUE(slow.timedOut);
    auto missing = run_captured({"/nonexistent/program"}, std::chrono::seconds(1));
    EXPECT_FALSE(missing.started);
}

TEST(ContainerProcess, BackgroundCommandsRunDetachedAndAreReaped) {
    auto dir = std::filesystem::temp_directory_path() / ("cj-bg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string file = (dir / "sid").string();
    BackgroundCommands background;
    // It runs in a session of its own: its session id is its pid, not ours.
    ASSERT_TRUE(background.start(
        {"/bin/sh", "-c",
         "sleep 0.2; cut -d' ' -f6 /proc/$$/stat > " + file + "; echo $$ >> " + file}));
    ASSERT_TRUE(background.wait_idle(std::chrono::seconds(10)));
    std::ifstream in(file);
    long sid = 0, pid = -1;
    in >> sid >> pid;
    EXPECT_EQ(sid, pid);
    EXPECT_NE(sid, static_cast<long>(::getsid(0)));
    EXPECT_FALSE(background.start({"/nonexistent/program"}));
    std::filesystem::remove_all(dir);
}

TEST(ContainerHostFiles, EnvFileIsPrivateAndGoneAfterUse) {
    auto dir = std::filesystem::temp_directory_path() / ("cj-env-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path;
    {
        EnvFile file;
        ASSERT_TRUE(file.write(dir.string(), "J1", "ANTHROPIC_API_KEY=sk-1\n"));
        path = file.path();
        struct stat info {};
        ASSERT_EQ(::stat(path.c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 0777, 0600u);
        ASSERT_EQ(::stat((dir / "container-env").c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 0777, 0700u);
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(text, "ANTHROPIC_API_KEY=sk-1\n");
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << "the env file outlived the launch";
    // A folder opened up to others is refused rather than written into.
    std::filesystem::permissions(dir / "container-env", std::filesystem::perms::all);
    EnvFile other;
    EXPECT_FALSE(other.write(dir.string(), "J2", "A=1\n"));
    std::filesystem::remove_all(dir);
}

TEST(ContainerHostFiles, UserIdsParse) {
    EXPECT_EQ(parse_user("1234:99").uid, 1234u);
    EXPECT_EQ(parse_user("1234:99").gid, 99u);
    EXPECT_EQ(parse_user("1234").gid, 1234u);
}

TEST(ContainerProcess, FindsProgramsOnPath) {
    EXPECT_EQ(find_program("sh").empty(), false);
    EXPECT_EQ(find_program("no-such-program-xyz"), "");
    EXPECT_EQ(find_program("/abs/path"), "/abs/path");
}

}  // namespace
}  // namespace cj::container

namespace {

TEST(ContainerGitFolders, AWorktreeJobGetsItsRepositorysGitFolderMounted) {
    namespace fs = std::filesystem;
    fs::path root = fs::canonical(fs::temp_directory_path()) /
                    ("cj-container-git-" + std::to_string(::getpid()));
    fs::create_directories(root / "repo/.git/worktrees/job1");
    fs::create_directories(root / "wt/sub");
    std::ofstream(root / "repo/.git/worktrees/job1/commondir") << "../..\n";
    std::ofstream(root / "wt/.git") << "gitdir: " << (root / "repo/.git/worktrees/job1").string()
                                    << "\n";
    using cj::container::git_folders_for;
    EXPECT_EQ(git_folders_for((root / "wt").string()),
              std::vector<std::string>{(root / "repo/.git").string()});
    EXPECT_EQ(git_folders_for((root / "wt/sub").string()),
              (std::vector<std::string>{(root / "wt").string(), (root / "repo/.git").string()}));
    fs::create_directories(root / "repo/src");
    EXPECT_TRUE(git_folders_for((root / "repo").string()).empty());
    EXPECT_EQ(git_folders_for((root / "repo/src").string()),
              std::vector<std::string>{(root / "repo/.git").string()});
    EXPECT_TRUE(git_folders_for(root.string()).empty() ||
                git_folders_for(root.string())[0] != (root / "repo/.git").string());
    fs::remove_all(root);
}

}  // namespace

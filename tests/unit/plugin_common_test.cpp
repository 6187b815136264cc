// The code the in-tree backends share (plugins/common): the noexcept guard, the strict JSON
// state readers, spawning detached programs, the child reaper and PATH lookup. (The cancel
// request is the job folder's now: sdk_job_folder_test.)
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/guarded.h"
#include "common/json_fields.h"
#include "common/spawn.h"
#include "support/text_files.h"

extern char** environ;

namespace cj::plugin_common {
namespace {

namespace fs = std::filesystem;
using cj::testing::read_text;
using claude_jobs::ErrorCode;
using claude_jobs::Result;
using nlohmann::json;

class TempDir {
  public:
    TempDir() {
        std::string pattern = fs::temp_directory_path().string() + "/cj-common-XXXXXX";
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

TEST(PluginCommonGuarded, PassesResultsThrough) {
    Result<int> ok = guarded("x", []() -> Result<int> { return 7; });
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 7);
    Result<int> failed = guarded("x", []() -> Result<int> {
        return claude_jobs::make_error(ErrorCode::NotFound, "no such job");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::NotFound);
}

TEST(PluginCommonGuarded, TurnsExceptionsIntoInternalErrorsNamingTheBackend) {
    Result<void> thrown = guarded(
        "tmux backend", []() -> Result<void> { throw std::runtime_error("out of something"); });
    ASSERT_FALSE(thrown);
    EXPECT_EQ(thrown.error().code, ErrorCode::Internal);
    EXPECT_EQ(thrown.error().message, "tmux backend: out of something");
    Result<void> odd = guarded("container", []() -> Result<void> { throw 42; });
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error().message, "container: unexpected failure");
}

TEST(PluginCommonJsonFields, ReadIntChecksPresenceTypeRangeAndMinimum) {
    json j = {
        {"pid", 42}, {"neg", -1}, {"text", "7"}, {"big", 18446744073709551615ULL}, {"real", 1.5}};
    std::int64_t out = 0;
    std::string why;
    EXPECT_TRUE(read_int(j, "pid", 2, out, why));
    EXPECT_EQ(out, 42);
    EXPECT_FALSE(read_int(j, "missing", 0, out, why));
    EXPECT_EQ(why, "\"missing\" is missing or not an integer");
    EXPECT_FALSE(read_int(j, "text", 0, out, why));
    EXPECT_FALSE(read_int(j, "real", 0, out, why));
    EXPECT_EQ(why, "\"real\" is missing or not an integer");
    EXPECT_FALSE(read_int(j, "big", 0, out, why));
    EXPECT_EQ(why, "\"big\" is out of range");
    EXPECT_FALSE(read_int(j, "neg", 0, out, why));
    EXPECT_EQ(why, "\"neg\" must be at least 0");
    EXPECT_EQ(out, 42) << "a refused value is not stored";
}

TEST(PluginCommonJsonFields, ReadStringWantsAString) {
    json j = {{"a", "x"}, {"n", 1}};
    std::string out, why;
    EXPECT_TRUE(read_string(j, "a", out, why));
    EXPECT_EQ(out, "x");
    EXPECT_FALSE(read_string(j, "n", out, why));
    EXPECT_EQ(why, "\"n\" is missing or not a string");
    EXPECT_FALSE(read_string(j, "b", out, why));
}

TEST(PluginCommonJsonFields, ParseObjectWantsOneObject) {
    json out;
    std::string why;
    EXPECT_TRUE(parse_object(R"({"a": 1})", out, why));
    EXPECT_EQ(out["a"], 1);
    for (const char* bad : {"", "[1]", "1", "{", "null", "{} {}"}) {
        EXPECT_FALSE(parse_object(bad, out, why)) << bad;
        EXPECT_EQ(why, "not a JSON object");
    }
    EXPECT_FALSE(parse_object("[]", out, why, "tmux settings"));
    EXPECT_EQ(why, "tmux settings must be a JSON object");
    EXPECT_TRUE(parse_object("", out, why, "tmux settings", /*emptyIsObject=*/true));
    EXPECT_TRUE(out.is_object() && out.empty());
}

TEST(PluginCommonJsonFields, IdentitiesGoUnderTheBackendsKeys) {
    const IdentityKeys keys{"panePid", "paneStartTime", "bootId"};
    json j = {{"other", 1}};
    write_identity(j, keys, {1234, 99, "boot"});
    EXPECT_EQ(j,
              json({{"other", 1}, {"panePid", 1234}, {"paneStartTime", 99}, {"bootId", "boot"}}));
    claude_jobs::ProcessIdentity back;
    std::string why;
    ASSERT_TRUE(read_identity(j, keys, back, why)) << why;
    EXPECT_EQ(back.pid, 1234);
    EXPECT_EQ(back.startTime, 99u);
    EXPECT_EQ(back.bootId, "boot");
    j["panePid"] = 1;
    EXPECT_FALSE(read_identity(j, keys, back, why));
    EXPECT_EQ(why, "\"panePid\" must be at least 2");
    EXPECT_EQ(back.pid, 1234) << "a refused identity is not stored";
    j["panePid"] = 5;
    j["paneStartTime"] = -1;
    EXPECT_FALSE(read_identity(j, keys, back, why));
    j["paneStartTime"] = 5;
    j.erase("bootId");
    EXPECT_FALSE(read_identity(j, keys, back, why));
    EXPECT_EQ(why, "\"bootId\" is missing or not a string");
}

TEST(PluginCommonPath, FindsExecutablesInAbsoluteFoldersOnly) {
    TempDir dir;
    std::string tool = dir.path() + "/cj-tool";
    std::ofstream(tool) << "#!/bin/sh\n";
    ::chmod(tool.c_str(), 0755);
    std::string plain = dir.path() + "/cj-plain";
    std::ofstream(plain) << "data\n";
    ::chmod(plain.c_str(), 0644);
    fs::create_directory(dir.path() + "/cj-dir");

    EXPECT_EQ(find_program("cj-tool", "/nonexistent:" + dir.path()), tool);
    EXPECT_EQ(find_program("cj-plain", dir.path()), "") << "not executable";
    EXPECT_EQ(find_program("cj-dir", dir.path()), "") << "a folder is not a program";
    EXPECT_EQ(find_program("cj-tool", "relative/bin:."), "") << "relative folders are skipped";
    EXPECT_EQ(find_program(tool, ""), tool);
    EXPECT_EQ(find_program(plain, ""), "");
    EXPECT_EQ(find_program("", dir.path()), "");
    EXPECT_TRUE(executable_file(tool));
    EXPECT_FALSE(executable_file(plain));
}

// A detached child has /dev/null as stdio, no other descriptor, "/" as its folder, a session
// of its own and default signal handling, even when the parent ignores SIGPIPE and holds a
// descriptor without CLOEXEC.
TEST(PluginCommonSpawn, DetachedChildHoldsNothingOfTheParent) {
    int leaked = ::open("/dev/null", O_RDONLY);  // no CLOEXEC, on purpose
    ASSERT_GE(leaked, 3);
    auto previous = ::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> argv = {"/bin/sleep", "30"};
    SpawnSetup setup;
    setup.detach();
    auto pointers = to_pointers(argv);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                           pointers.data(), environ);
    ::signal(SIGPIPE, previous);
    ::close(leaked);
    ASSERT_EQ(rc, 0);
    // posix_spawn returns once the program runs, but its own start-up (the dynamic loader
    // opening libraries) briefly holds descriptors of its own: the listing is taken until it
    // shows only the three, for up to 5 s. A descriptor leaked from the parent never goes away.
    std::string proc = "/proc/" + std::to_string(pid);
    const std::vector<std::string> expected{"0 -> /dev/null", "1 -> /dev/null", "2 -> /dev/null"};
    std::vector<std::string> fds;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        fds.clear();
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(proc + "/fd", ec)) {
            std::error_code gone;  // closed between the listing and the read
            auto target = fs::read_symlink(entry.path(), gone);
            if (!gone) fds.push_back(entry.path().filename().string() + " -> " + target.string());
        }
        std::sort(fds.begin(), fds.end());
        if (fds == expected || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(fds, expected) << "descriptor " << leaked
                             << " of the parent must not reach the child";
    EXPECT_EQ(fs::read_symlink(proc + "/cwd").string(), "/");
    // /proc/<pid>/stat: pid (comm) state ppid pgrp session ...
    std::istringstream stat(read_text(proc + "/stat"));
    std::string pidText, comm, state, ppid, pgrp, session;
    stat >> pidText >> comm >> state >> ppid >> pgrp >> session;
    EXPECT_EQ(session, std::to_string(pid)) << "the child leads a session of its own";
    std::string status = read_text(proc + "/status");
    auto at = status.find("SigIgn:\t");
    ASSERT_NE(at, std::string::npos) << status;
    unsigned long long ignored = std::stoull(status.substr(at + 8, 16), nullptr, 16);
    EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0u)
        << "SIGPIPE, ignored by the parent, stayed ignored in the child";
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

TEST(PluginCommonSpawn, ReaperCollectsAdoptedChildren) {
    ChildReaper reaper(std::chrono::milliseconds(50));
    std::vector<std::string> argv = {"/bin/sh", "-c", "sleep 0.2"};
    SpawnSetup setup;
    setup.detach();
    auto pointers = to_pointers(argv);
    pid_t pid = -1;
    ASSERT_EQ(::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                            pointers.data(), environ),
              0);
    reaper.adopt(pid);
    EXPECT_FALSE(reaper.wait_idle(std::chrono::milliseconds(0))) << "the child still runs";
    EXPECT_TRUE(reaper.wait_idle(std::chrono::seconds(10)));
    errno = 0;
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1) << "already reaped: no zombie left";
    EXPECT_EQ(errno, ECHILD);
}

// spawn_detached: the same detached child as SpawnSetup::detach(), with exactly the
// environment given, or this process's.
TEST(PluginCommonSpawn, SpawnDetachedGivesTheEnvironmentAsked) {
    TempDir dir;
    std::string out = dir.path() + "/env";
    pid_t pid = spawn_detached({"/bin/sh", "-c", "echo \"$CJ_ONLY|$CJ_SERVER\" > " + out},
                               std::vector<std::string>{"CJ_ONLY=given"});
    ASSERT_GT(pid, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(read_text(out), "given|\n");
    ::setenv("CJ_SERVER", "ours", 1);
    pid = spawn_detached({"/bin/sh", "-c", "echo \"$CJ_SERVER\" > " + out});
    ::unsetenv("CJ_SERVER");
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(read_text(out), "ours\n");
    errno = 0;
    EXPECT_EQ(spawn_detached({"/nonexistent/program"}), -1);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(spawn_detached({}), -1);
}

TEST(PluginCommonPath, PathComesFromTheEnvironmentGiven) {
    EXPECT_EQ(path_in({"HOME=/h", "PATH=/a:/b"}, "/fallback"), "/a:/b");
    EXPECT_EQ(path_in({"HOME=/h", "XPATH=/x"}, "/fallback"), "/fallback");
    EXPECT_EQ(path_in({"PATH=/one", "PATH=/two"}, ""), "/two");
    EXPECT_EQ(path_in({}, "/usr/bin:/bin"), "/usr/bin:/bin");
}

}  // namespace
}  // namespace cj::plugin_common

// The job-folder contract (claude_jobs/job_folder.h): the runner's command line, runner.json,
// exit.json and cancel.json, each with its one writer and one reader, and the folder's file
// helpers, which never follow a planted link nor read more than they promise.
#include "claude_jobs/job_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace claude_jobs::job_folder {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A throwaway job folder that can also be read back and listed.
class JobDir : public cj::testing::TempDir {
  public:
    JobDir() : TempDir("cj-folder") {}
    std::string read(const std::string& name) const {
        std::ifstream in(file(name), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(path()))
            out.push_back(entry.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

JobSpec spec() {
    JobSpec spec;
    spec.jobId = "j1";
    spec.jobDir = "/state/jobs/j1";
    spec.workFolder = "/work";
    spec.claudePath = "claude";
    spec.claudeArgs = {"-p", "--output-format", "stream-json"};
    spec.timeoutSec = 60;
    return spec;
}

TEST(SdkJobFolder, JobIdsAreOnePathComponent) {
    for (const char* good : {"a", "0", "job-1.2_3",
                             "A0123456789012345678901234567890123456789012345678901234567890BC"})
        EXPECT_TRUE(valid_job_id(good)) << good;
    for (const char* bad : {"", ".", "..", "-a", "_a", ".a", "a/b", "a b", "a\nb", "é",
                            "A0123456789012345678901234567890123456789012345678901234567890BCD"})
        EXPECT_FALSE(valid_job_id(bad)) << bad;
}

TEST(SdkJobFolder, RunnerCommandForAJob) {
    auto command = RunnerCommand::for_job(spec(), "/opt/bin/claude-jobs-runner");
    EXPECT_EQ(command.argv(),
              (std::vector<std::string>{"/opt/bin/claude-jobs-runner", "--job-dir",
                                        "/state/jobs/j1", "--cwd", "/work", "--timeout", "60", "--",
                                        "claude", "-p", "--output-format", "stream-json"}));
    // Niceness comes first, --terminal last before the program.
    command.niceness = 5;
    command.terminal = true;
    EXPECT_EQ(command.argv(),
              (std::vector<std::string>{"/opt/bin/claude-jobs-runner", "--nice", "5", "--job-dir",
                                        "/state/jobs/j1", "--cwd", "/work", "--timeout", "60",
                                        "--terminal", "--", "claude", "-p", "--output-format",
                                        "stream-json"}));
    // As a container's entry point: no runner path, another program.
    RunnerCommand entry = RunnerCommand::for_job(spec(), "");
    entry.program = "/usr/local/bin/claude";
    entry.args = {"-p"};
    EXPECT_EQ(entry.argv(),
              (std::vector<std::string>{"--job-dir", "/state/jobs/j1", "--cwd", "/work",
                                        "--timeout", "60", "--", "/usr/local/bin/claude", "-p"}));
}

TEST(SdkJobFolder, RunnerRecordRoundTrips) {
    RunnerRecord record{100, 5000, "boot-1", 101, 101, 5001, "/usr/bin/claude", 1700000000000};
    std::string text = encode_runner_record(record);
    EXPECT_EQ(text, R"({"runnerPid":100,"runnerStartTime":5000,"bootId":"boot-1","childPid":101,)"
                    R"("childPgid":101,"childStartTime":5001,"program":"/usr/bin/claude",)"
                    R"("startedAt":1700000000000})"
                    "\n");
    RunnerRecord back;
    std::string why;
    ASSERT_TRUE(decode_runner_record(text, back, why)) << why;
    EXPECT_EQ(back.runnerPid, 100);
    EXPECT_EQ(back.runnerStartTime, 5000u);
    EXPECT_EQ(back.bootId, "boot-1");
    EXPECT_EQ(back.childPid, 101);
    EXPECT_EQ(back.childPgid, 101);
    EXPECT_EQ(back.childStartTime, 5001u);
    EXPECT_EQ(back.program, "/usr/bin/claude");
    EXPECT_EQ(back.startedAt, 1700000000000);
}

TEST(SdkJobFolder, RunnerRecordNeedsASafeChild) {
    RunnerRecord out;
    std::string why;
    EXPECT_TRUE(decode_runner_record(
        R"({"childPgid":9,"childPid":9,"childStartTime":0,"more":[1]})", out, why))
        << why;
    EXPECT_EQ(out.runnerPid, 0) << "no runner identity";
    EXPECT_FALSE(
        decode_runner_record(R"({"childPgid":1,"childPid":9,"childStartTime":0})", out, why));
    EXPECT_EQ(why, "\"childPgid\" must be at least 2");
    EXPECT_FALSE(
        decode_runner_record(R"({"childPgid":9,"childPid":-1,"childStartTime":0})", out, why));
    EXPECT_FALSE(decode_runner_record(R"({"childPgid":9,"childPid":9})", out, why));
    EXPECT_EQ(why, "\"childStartTime\" is missing or not an integer");
    EXPECT_FALSE(
        decode_runner_record(R"({"childPgid":9,"childPid":9,"childStartTime":"1"})", out, why));
    EXPECT_FALSE(decode_runner_record("[]", out, why));
    EXPECT_FALSE(decode_runner_record("", out, why));
    // A runner identity that could hit init or a group is dropped, not trusted.
    ASSERT_TRUE(decode_runner_record(
        R"({"runnerPid":1,"runnerStartTime":5,"childPgid":9,"childPid":9,"childStartTime":0})", out,
        why));
    EXPECT_EQ(out.runnerPid, 0);
    ASSERT_TRUE(decode_runner_record(
        R"({"runnerPid":50,"runnerStartTime":-1,"childPgid":9,"childPid":9,"childStartTime":0})",
        out, why));
    EXPECT_EQ(out.runnerPid, 0);
}

TEST(SdkJobFolder, ReadsRunnerJsonFromTheFolderOnly) {
    JobDir dir;
    RunnerRecord record;
    EXPECT_FALSE(read_runner_record(dir.path(), record)) << "no file yet";
    dir.write(kRunnerFile, R"({"childPgid":9,"childPid":9,"childStartTime":3})");
    ASSERT_TRUE(read_runner_record(dir.path(), record));
    EXPECT_EQ(record.childStartTime, 3u);
    // A link planted in place of the record is not followed.
    JobDir other;
    other.write("elsewhere.json", R"({"childPgid":7,"childPid":7,"childStartTime":3})");
    fs::remove(dir.file(kRunnerFile));
    fs::create_symlink(other.file("elsewhere.json"), dir.file(kRunnerFile));
    EXPECT_FALSE(read_runner_record(dir.path(), record));
    // Nor is a link in place of the folder.
    fs::remove(dir.file(kRunnerFile));
    other.write(kRunnerFile, R"({"childPgid":7,"childPid":7,"childStartTime":3})");
    fs::create_symlink(other.path(), dir.file("linked"));
    EXPECT_FALSE(read_runner_record(dir.file("linked"), record));
    // A record far larger than any the runner writes is not read.
    dir.write(kRunnerFile, R"({"childPgid":9,"childPid":9,"childStartTime":3,"pad":")" +
                               std::string(70000, 'x') + "\"}");
    EXPECT_FALSE(read_runner_record(dir.path(), record));
}

// exit.json exactly as the server and its tests have always read it: every key, nulls too.
TEST(SdkJobFolder, ExitRecordIsWrittenWithEveryKey) {
    ExitRecord normal;
    normal.exitCode = 0;
    normal.startedAt = 1700000000000;
    normal.endedAt = 1700000001234;
    normal.reason = "exit code 0";
    EXPECT_EQ(encode_exit_record(normal),
              R"({"exitCode":0,"signal":null,"signalName":null,"timedOut":false,"cancelled":false,)"
              R"("launchError":null,"startedAt":1700000000000,"endedAt":1700000001234,)"
              R"("reason":"exit code 0","noSpaceLeft":false})"
              "\n");
    ExitRecord killed;
    killed.signal = 9;
    killed.timedOut = true;
    killed.launchError = "";
    killed.reason = "ran past 3 s";
    killed.noSpaceLeft = true;
    EXPECT_EQ(encode_exit_record(killed),
              R"({"exitCode":null,"signal":9,"signalName":"SIGKILL","timedOut":true,)"
              R"("cancelled":false,"launchError":null,"startedAt":0,"endedAt":0,)"
              R"("reason":"ran past 3 s","noSpaceLeft":true})"
              "\n");
    EXPECT_TRUE(decode_exit_record(encode_exit_record(killed))->noSpaceLeft);
    ExitRecord launch;
    launch.launchError = "cannot run claude: No such file or directory";
    launch.reason = launch.launchError;
    auto back = decode_exit_record(encode_exit_record(launch));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->launchError, launch.launchError);
    EXPECT_FALSE(back->exitCode.has_value());
    EXPECT_FALSE(back->signal.has_value());
    EXPECT_EQ(signal_name(15), "SIGTERM");
    EXPECT_EQ(signal_name(99), "SIG99");
}

TEST(SdkJobFolder, ExitRecordReadsWrongTypesAsAbsent) {
    auto r = decode_exit_record(
        R"({"exitCode":"0","signal":9.5,"signalName":7,"timedOut":"yes","cancelled":1,)"
        R"("startedAt":"soon","endedAt":[1],"reason":null,"launchError":{"a":1}})");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->exitCode.has_value());
    EXPECT_FALSE(r->signal.has_value());
    EXPECT_EQ(r->signalName, "");
    EXPECT_FALSE(r->timedOut);
    EXPECT_FALSE(r->cancelled);
    EXPECT_EQ(r->startedAt, 0);
    EXPECT_EQ(r->endedAt, 0);
    EXPECT_EQ(r->reason, "");
    EXPECT_EQ(r->launchError, "");
    EXPECT_FALSE(r->noSpaceLeft) << "a record of an older runner has no such key";
    auto big = decode_exit_record(R"({"exitCode":4294967296,"signal":-2147483649})");
    ASSERT_TRUE(big);
    EXPECT_FALSE(big->exitCode.has_value()) << "beyond an int";
    EXPECT_FALSE(big->signal.has_value());
    for (const char* garbage : {"", "not json", "[]", "{\"exitCode\":0", "null"})
        EXPECT_FALSE(decode_exit_record(garbage)) << garbage;
}

TEST(SdkJobFolder, ReadsExitJson) {
    JobDir dir;
    EXPECT_FALSE(read_exit_record(dir.path()));
    ExitRecord record;
    record.exitCode = 3;
    record.reason = "exit code 3";
    int fd = open_job_dir(dir.path());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write_file_atomically(fd, kExitFile, encode_exit_record(record), 0600, true), 0);
    ::close(fd);
    auto back = read_exit_record(dir.path());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->exitCode, 3);
    EXPECT_EQ(back->reason, "exit code 3");
    EXPECT_EQ(json::parse(dir.read(kExitFile))["exitCode"], 3) << "and any JSON reader agrees";
}

// Moved here with cancel.json itself (it was plugins/common's): the request's content, and
// the file mode the caller asks for.
TEST(SdkJobFolder, CancelRequestHasTheModeAskedFor) {
    JobDir dir;
    ASSERT_TRUE(write_cancel_request(dir.path(), 3));
    struct stat info {};
    ASSERT_EQ(::stat(dir.file(kCancelFile).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_EQ(json::parse(dir.read(kCancelFile)), json({{"graceSec", 3}}));
    ::unlink(dir.file(kCancelFile).c_str());
    mode_t old = ::umask(0);
    ASSERT_TRUE(write_cancel_request(dir.path(), 5, 0644));
    ::umask(old);
    ASSERT_EQ(::stat(dir.file(kCancelFile).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0644u) << "readable by a container's other user";
    EXPECT_TRUE(cancel_requested(dir.path()));
}

TEST(SdkJobFolder, CancelRequestRoundTripsAndRefusesNonsense) {
    EXPECT_EQ(encode_cancel_request(3), R"({"graceSec":3})");
    EXPECT_EQ(encode_cancel_request(-4), R"({"graceSec":0})");
    EXPECT_EQ(decode_cancel_request(encode_cancel_request(7)), 7000);
    EXPECT_EQ(decode_cancel_request(R"({"graceSec": 1})"), 1000);
    EXPECT_EQ(decode_cancel_request(R"({ "other": "x", "graceSec" : 0.25 })"), 250);
    EXPECT_EQ(decode_cancel_request(R"({"graceSec":0})"), 0);
    for (const char* bad : {R"({"graceSec":"1"})", R"({"graceSec":-1})", R"({"graceSec":1e3})",
                            R"({"graceSec":99999999999})", R"({"graceSec":null})", R"({})",
                            R"({"graceSec":[1]})", "graceSec: 1", ""})
        EXPECT_FALSE(decode_cancel_request(bad)) << bad;
}

TEST(SdkJobFolder, TheRunnerReadsTheRequestThroughItsFolder) {
    JobDir dir;
    int fd = open_job_dir(dir.path());
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(read_cancel_request(fd)) << "none yet";
    EXPECT_FALSE(cancel_requested(dir.path()));
    ASSERT_TRUE(write_cancel_request(dir.path(), 2));
    EXPECT_EQ(read_cancel_request(fd), 2000);
    dir.write(kCancelFile, std::string(5000, ' ') + R"({"graceSec":1})");
    EXPECT_FALSE(read_cancel_request(fd)) << "larger than a request ever is";
    ::close(fd);
    EXPECT_FALSE(write_cancel_request(dir.file("missing"), 1));
}

TEST(SdkJobFolder, AtomicWritesLeaveNothingBehind) {
    JobDir dir;
    int fd = open_job_dir(dir.path());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write_file_atomically(fd, "record.json", "one", 0600, false), 0);
    ASSERT_EQ(write_file_atomically(fd, "record.json", "two", 0600, true), 0);
    EXPECT_EQ(dir.read("record.json"), "two");
    EXPECT_EQ(dir.names(), (std::vector<std::string>{"record.json"})) << "no temporary file left";
    ::close(fd);
    EXPECT_LT(open_job_dir(dir.file("record.json")), 0) << "a file is not a folder";
}

TEST(SdkJobFolder, SmallFilesAreBounded) {
    JobDir dir;
    dir.write("f", "12345");
    int fd = open_job_dir(dir.path());
    ASSERT_GE(fd, 0);
    EXPECT_EQ(read_small_file(fd, "f", 5), "12345");
    EXPECT_FALSE(read_small_file(fd, "f", 4));
    EXPECT_FALSE(read_small_file(fd, "missing", 100));
    fs::create_directory(dir.file("sub"));
    EXPECT_FALSE(read_small_file(fd, "sub", 100)) << "not a regular file";
    ::close(fd);
}

TEST(SdkJobFolder, LinesAreAppendedWhole) {
    JobDir dir;
    ASSERT_TRUE(append_line(dir.path(), kInteractiveFile, R"({"event":"A"})"));
    ASSERT_TRUE(append_line(dir.path(), kInteractiveFile, R"({"event":"B"})"));
    EXPECT_EQ(dir.read(kInteractiveFile), "{\"event\":\"A\"}\n{\"event\":\"B\"}\n");
    struct stat info {};
    ASSERT_EQ(::stat(dir.file(kInteractiveFile).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0077, 0u) << "private to the server's user";
    EXPECT_FALSE(append_line(dir.file("missing"), kInteractiveFile, "x"));
}

// The one rule by which the runner and the server call a filesystem full.
TEST(SdkJobFolder, NoSpaceLeftBelowAMebibyteOrWithoutInodes) {
    FolderSpace space;
    space.totalBytes = 100 * kNoSpaceBytes;
    space.availableBytes = kNoSpaceBytes;
    space.inodesCounted = true;
    space.availableInodes = 10;
    EXPECT_FALSE(no_space_left(space));
    space.availableBytes = kNoSpaceBytes - 1;
    EXPECT_TRUE(no_space_left(space));
    space.availableBytes = 50 * kNoSpaceBytes;
    space.availableInodes = 0;
    EXPECT_TRUE(no_space_left(space)) << "no file can be created";
    space.inodesCounted = false;
    EXPECT_FALSE(no_space_left(space)) << "a filesystem without an inode limit";
}

TEST(SdkJobFolder, FolderSpaceAsksTheFilesystem) {
    JobDir dir;
    auto byPath = folder_space(dir.path());
    ASSERT_TRUE(byPath);
    EXPECT_GT(byPath->totalBytes, 0u);
    EXPECT_LE(byPath->availableBytes, byPath->totalBytes);
    int fd = open_job_dir(dir.path());
    ASSERT_GE(fd, 0);
    auto byFd = folder_space(fd);
    ::close(fd);
    ASSERT_TRUE(byFd);
    EXPECT_EQ(byFd->totalBytes, byPath->totalBytes);
    EXPECT_FALSE(folder_space(dir.file("missing")));
    EXPECT_FALSE(folder_space(-1));
}

}  // namespace
}  // namespace claude_jobs::job_folder

// What gentle adds over a plain detached launch: the job really runs at the configured CPU
// and I/O priority, under the configured limits. Checked on the job's own process, as the
// kernel reports it in /proc, with the conformance kit's stand-in program as the job.
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <claude_jobs/plugin.h>
#include <claude_jobs/testing/conformance.h>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using claude_jobs::ErrorCode;
using claude_jobs::HostContext;
using claude_jobs::IJobBackend;
using claude_jobs::JobSpec;

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool wait_for_file(const std::string& path) {
    for (int i = 0; i < 2000; ++i) {
        if (fs::exists(path)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::shared_ptr<IJobBackend> load_gentle() {
    auto setup = claude_jobs::testing::default_setup();
    void* module = ::dlopen(setup.modulePath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) return nullptr;
    auto create =
        reinterpret_cast<ClaudeJobsCreateFn>(::dlsym(module, "claude_jobs_create_backend"));
    auto destroy =
        reinterpret_cast<ClaudeJobsDestroyFn>(::dlsym(module, "claude_jobs_destroy_backend"));
    if (!create || !destroy) return nullptr;
    return std::shared_ptr<IJobBackend>(create(), destroy);
}

class GentleTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = fs::temp_directory_path().string() + "/gentle-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        scratch_ = pattern;
        fs::create_directories(scratch_ + "/state/jobs");
        backend_ = load_gentle();
        ASSERT_TRUE(backend_) << "cannot load " << claude_jobs::testing::default_setup().modulePath;
        host_.instanceName = "gentle";
        host_.runnerPath = claude_jobs::testing::default_setup().runnerPath;
        host_.stateDir = scratch_ + "/state";
    }
    void TearDown() override {
        std::ofstream(scratch_ + "/release") << "go";
        if (started_) {
            backend_->stop("gentle-job", 0);
            wait_for_file(scratch_ + "/state/jobs/gentle-job/exit.json");
        }
        fs::remove_all(scratch_);
    }

    JobSpec spec() {
        JobSpec spec;
        spec.jobId = "gentle-job";
        spec.jobDir = scratch_ + "/state/jobs/gentle-job";
        fs::create_directories(spec.jobDir);
        std::ofstream(spec.jobDir + "/prompt.txt") << "prompt";
        spec.workFolder = scratch_;
        spec.claudePath = claude_jobs::testing::default_setup().jobProgram;
        spec.claudeArgs = {"--facts", scratch_ + "/facts", "--release", scratch_ + "/release"};
        spec.env = {"PATH=/usr/bin:/bin"};
        spec.timeoutSec = 120;
        return spec;
    }

    // The stand-in's pid, once it runs.
    long start_job(const std::string& config) {
        auto configured = backend_->configure(config, host_);
        EXPECT_TRUE(configured) << configured.error().message;
        auto handle = backend_->start(spec());
        EXPECT_TRUE(handle) << handle.error().message;
        started_ = static_cast<bool>(handle);
        if (!handle || !wait_for_file(scratch_ + "/facts")) return -1;
        std::istringstream facts(read(scratch_ + "/facts"));
        for (std::string line; std::getline(facts, line);)
            if (line.rfind("pid=", 0) == 0) return std::stol(line.substr(4));
        return -1;
    }

    std::string scratch_;
    HostContext host_;
    std::shared_ptr<IJobBackend> backend_;
    bool started_ = false;
};

// /proc/<pid>/stat field 19.
long niceness_of(long pid) {
    std::string stat = read("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
    }
    return std::stol(field);
}

// The "Max ..." line of /proc/<pid>/limits, spaces squeezed: "Max open files 512 512 files".
std::string limit_of(long pid, const std::string& name) {
    std::istringstream limits(read("/proc/" + std::to_string(pid) + "/limits"));
    for (std::string line; std::getline(limits, line);) {
        if (line.rfind(name, 0) != 0) continue;
        std::istringstream words(line);
        std::string word, squeezed;
        while (words >> word) squeezed += (squeezed.empty() ? "" : " ") + word;
        return squeezed;
    }
    return "";
}

// What a job asking for `niceness` gets: never a higher priority than this process has.
long expected_niceness(int niceness) {
    errno = 0;
    int own = ::getpriority(PRIO_PROCESS, 0);
    return std::max(niceness, errno == 0 ? own : 0);
}

TEST_F(GentleTest, JobRunsAtIdlePriorityUnderLimits) {
    long pid = start_job(
        R"({"niceness": 12, "ioClass": "idle", "openFiles": 512, "cpuSeconds": 3600, "memoryMB": 65536})");
    ASSERT_GT(pid, 0);
    EXPECT_EQ(niceness_of(pid), expected_niceness(12));
    long ioprio = ::syscall(SYS_ioprio_get, 1, static_cast<int>(pid));
    EXPECT_EQ(ioprio >> 13, 3) << "I/O class of the job (3 = idle), ioprio " << ioprio;
    EXPECT_EQ(limit_of(pid, "Max open files"), "Max open files 512 512 files");
    EXPECT_EQ(limit_of(pid, "Max cpu time"), "Max cpu time 3600 3600 seconds");
    EXPECT_EQ(limit_of(pid, "Max address space"), "Max address space " +
                                                      std::to_string(65536ULL << 20) + " " +
                                                      std::to_string(65536ULL << 20) + " bytes");
}

TEST_F(GentleTest, BestEffortLevelIsApplied) {
    long pid = start_job(R"({"niceness": 3, "ioClass": "best-effort", "ioLevel": 5})");
    ASSERT_GT(pid, 0);
    EXPECT_EQ(niceness_of(pid), expected_niceness(3));
    long ioprio = ::syscall(SYS_ioprio_get, 1, static_cast<int>(pid));
    EXPECT_EQ(ioprio >> 13, 2) << "best-effort class, ioprio " << ioprio;
    EXPECT_EQ(ioprio & 0xff, 5);
}

TEST_F(GentleTest, BadSettingsAreRefusedNamingTheKey) {
    for (const char* config : {R"({"ioClass": "fast"})", R"({"niceness": 20})",
                               R"({"openFiles": 3})", R"({"memoryMB": "4g"})"}) {
        auto configured = backend_->configure(config, host_);
        ASSERT_FALSE(configured) << config;
        EXPECT_EQ(configured.error().code, ErrorCode::InvalidArgument);
        std::string key = std::string(config).substr(3, std::string(config).find('"', 3) - 3);
        EXPECT_NE(configured.error().message.find(key), std::string::npos)
            << configured.error().message;
    }
}

}  // namespace

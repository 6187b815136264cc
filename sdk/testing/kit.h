// The conformance kit's machinery, shared by its tests: loading the module under test,
// making configured instances, preparing and starting stand-in jobs, and reading what they
// leave behind (the facts the stand-in writes, the supervisor's exit record). Not installed.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "claude_jobs/plugin.h"
#include "claude_jobs/testing/conformance.h"

namespace claude_jobs::testing::detail {

using BackendPtr = std::shared_ptr<IJobBackend>;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A module, opened once per process and never closed (like the server, which never unloads).
struct LoadedModule {
    std::string error;  // why it could not be used; "" when loaded
    void* handle = nullptr;
    const ClaudeJobsPluginInfo* info = nullptr;
    ClaudeJobsCreateFn create = nullptr;
    ClaudeJobsDestroyFn destroy = nullptr;
};
const LoadedModule& load_module(const std::string& path);

// "not_found: no job x"
std::string describe(const Error& error);

// What the stand-in wrote about itself.
struct Facts {
    std::map<std::string, std::string> values;
    std::string get(const std::string& key) const;
    long number(const std::string& key) const;  // -1 when missing or not a number
};

// The parts of exit.json the kit checks, and the text itself.
struct ExitRecord {
    std::string text;
    std::optional<long> exitCode;
    std::optional<long> signal;
    bool cancelled = false;
};

struct JobOptions {
    int exitCode = 0;
    bool grandchild = false;
    bool escapees = false;  // a child that calls setsid and a daemon that forks twice
    bool ignoreTerm = false;
    std::string prompt = "a prompt from the conformance kit\n";
};

struct TestJob {
    JobSpec spec;
    JobHandle handle;
    std::string token;
    std::string factsPath;
    std::string releasePath;
};

// One test's world: a scratch folder (state dir + work folder) and the jobs started in it.
// The destructor ends what is still running, frees it, and removes the folder.
class Kit {
  public:
    Kit(const BackendSetup& setup, Rule rule);
    ~Kit();
    Kit(const Kit&) = delete;
    Kit& operator=(const Kit&) = delete;

    const BackendSetup& setup() const { return setup_; }
    const HostContext& host() const { return host_; }
    // "rule 'stop after exit is a no-op': " — the start of every failure message.
    std::string rule() const;
    // Why the kit cannot run at all ("" when it can): a missing runner, stand-in or module.
    std::string setup_problem() const;

    // A new instance; configured with the setup's settings unless told otherwise.
    Result<BackendPtr> new_backend(bool configure = true);
    // A job folder with prompt.txt and a spec that runs the stand-in with these options.
    TestJob prepare(const JobOptions& options = {});
    // start(), remembered so the destructor can end the job.
    Result<JobHandle> start(const BackendPtr& backend, TestJob& job);

    std::optional<Facts> wait_facts(const TestJob& job, milliseconds bound);
    std::optional<ExitRecord> wait_exit(const TestJob& job, milliseconds bound);
    std::optional<ExitRecord> exit_record(const TestJob& job) const;
    void release(const TestJob& job);
    // The instance that cleans the job up from now on (the one that recovered it).
    void hand_over(const std::string& jobId, const BackendPtr& backend);

  private:
    struct Started {
        BackendPtr backend;
        TestJob job;
    };

    const BackendSetup& setup_;
    Rule rule_;
    std::string scratch_;
    std::string workFolder_;
    HostContext host_;
    std::mutex mutex_;  // guards started_: tests start jobs from several threads
    std::vector<Started> started_;
};

// Whether pid names a live process on this host (a zombie counts as ended).
bool host_process_alive(long pid);

}  // namespace claude_jobs::testing::detail

// The conformance tests: one per rule of the IJobBackend contract (SPEC §8, job_backend.h),
// registered for a backend by register_conformance_tests(). Every failure message starts with
// the rule it broke.
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "claude_jobs/testing/conformance.h"
#include "kit.h"

namespace claude_jobs::testing {

namespace {

using namespace detail;
using std::chrono::duration_cast;

constexpr const char* kUnknownKey = "conformanceUnknownKey";
constexpr int kStopGraceSec = 10;

long elapsed_ms(Clock::time_point since) {
    return static_cast<long>(duration_cast<milliseconds>(Clock::now() - since).count());
}

const char* state_name(RunState state) {
    switch (state) {
        case RunState::Running:
            return "Running";
        case RunState::Exited:
            return "Exited";
        case RunState::Lost:
            return "Lost";
    }
    return "?";
}

std::string tail_of(const std::string& path, std::size_t bytes = 600) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

// The config text with one more key, whatever the object held before.
std::optional<std::string> with_unknown_key(const std::string& config) {
    auto open = config.find('{');
    if (open == std::string::npos) return std::nullopt;
    auto next = config.find_first_not_of(" \t\r\n", open + 1);
    if (next == std::string::npos) return std::nullopt;
    std::string entry = std::string("\"") + kUnknownKey + "\": 1";
    return config.substr(0, open + 1) + entry + (config[next] == '}' ? "" : ", ") +
           config.substr(open + 1);
}

struct Running {
    TestJob job;
    Facts facts;
};

class ConformanceTest : public ::testing::Test {
  public:
    ConformanceTest(const BackendSetup& setup, Rule rule) : setup_(setup), rule_(rule) {}

    void TestBody() override {
        if (auto it = setup_.notApplicable.find(rule_); it != setup_.notApplicable.end()) {
            GTEST_SKIP() << "rule '" << rule_description(rule_)
                         << "' does not apply to this backend: " << it->second;
        }
        kit_ = std::make_unique<Kit>(setup_, rule_);
        if (std::string problem = kit_->setup_problem(); !problem.empty()) {
            FAIL() << "the conformance kit cannot run: " << problem;
        }
        if (rule_ == Rule::ModuleExports || rule_ == Rule::ModuleHidesSymbols) {
            if (setup_.modulePath.empty()) {
                GTEST_SKIP() << "rule '" << rule_description(rule_)
                             << "' needs a module: this setup makes instances with a factory";
            }
        }
        auto made = kit_->new_backend();
        if (!made) {
            FAIL() << R() << "cannot make a configured instance: " << describe(made.error());
        }
        backend_ = *made;
        run_rule();
    }

    void TearDown() override {
        backend_.reset();
        kit_.reset();  // ends and frees every job the test started
    }

  private:
    std::string R() const { return kit_->rule(); }

    void run_rule() {
        switch (rule_) {
            case Rule::ModuleExports:
                return module_exports();
            case Rule::ModuleHidesSymbols:
                return module_hides_symbols();
            case Rule::Info:
                return info();
            case Rule::ConfigureAccepts:
                return configure_accepts();
            case Rule::ConfigureRefusesUnknownKey:
                return configure_refuses_unknown_key();
            case Rule::CapabilitiesStable:
                return capabilities_stable();
            case Rule::Health:
                return health();
            case Rule::StartReturnsHandle:
                return start_returns_handle();
            case Rule::StatusRunning:
                return status_running();
            case Rule::ExitRecord:
                return exit_record();
            case Rule::StatusAfterExit:
                return status_after_exit();
            case Rule::JobEnvironment:
                return job_environment();
            case Rule::JobWorkFolder:
                return job_work_folder();
            case Rule::PromptOnStdin:
                return prompt_on_stdin();
            case Rule::StopEndsJob:
                return stop_ends_job();
            case Rule::StopIsIdempotent:
                return stop_is_idempotent();
            case Rule::StopAfterExitIsNoOp:
                return stop_after_exit_is_no_op();
            case Rule::StopKillsAfterGrace:
                return stop_kills_after_grace();
            case Rule::WholeGroupKill:
                return whole_group_kill();
            case Rule::EscapeesEndOnStop:
                return escapees_end(/*stop=*/true);
            case Rule::EscapeesEndOnExit:
                return escapees_end(/*stop=*/false);
            case Rule::UnknownIdNotFound:
                return unknown_id_not_found();
            case Rule::RecoverAfterRestart:
                return recover_after_restart();
            case Rule::RecoverEndedJob:
                return recover_ended_job();
            case Rule::RecoverRefusesUnreadableHandle:
                return recover_refuses_unreadable_handle();
            case Rule::DestroyIdempotent:
                return destroy_idempotent();
            case Rule::NoLeakedDescriptors:
                return no_leaked_descriptors();
            case Rule::OwnSession:
                return own_session();
            case Rule::LeadsProcessGroup:
                return leads_process_group();
            case Rule::StatusDoesNotBlock:
                return status_does_not_block();
            case Rule::ConcurrentCalls:
                return concurrent_calls();
        }
    }

    // What to show when a job did not do what it should: its supervisor's files.
    std::string job_files(const TestJob& job) const {
        return "\n  stderr.log: " + tail_of(job.spec.jobDir + "/stderr.log") +
               "\n  exit.json: " + tail_of(job.spec.jobDir + "/exit.json") +
               "\n  runner.json: " + tail_of(job.spec.jobDir + "/runner.json");
    }

    // Starts a stand-in job that holds until released, and waits until it runs. On failure
    // it has reported why and returns nullopt.
    std::optional<Running> start_running(const BackendPtr& backend,
                                         const JobOptions& options = {}) {
        TestJob job = kit_->prepare(options);
        auto handle = kit_->start(backend, job);
        if (!handle) {
            ADD_FAILURE() << R() << "start() returned " << describe(handle.error());
            return std::nullopt;
        }
        auto facts = kit_->wait_facts(job, setup_.endBound);
        if (!facts) {
            ADD_FAILURE() << R() << "the job never ran: the stand-in wrote nothing to "
                          << job.factsPath << " within " << setup_.endBound.count() << " ms"
                          << job_files(job);
            return std::nullopt;
        }
        return Running{job, *facts};
    }

    std::optional<ExitRecord> wait_exit(const TestJob& job, const std::string& after,
                                        milliseconds bound) {
        auto record = kit_->wait_exit(job, bound);
        if (!record) {
            ADD_FAILURE() << R() << "no exit record (" << job.spec.jobDir << "/exit.json) within "
                          << bound.count() << " ms " << after << job_files(job);
        }
        return record;
    }

    // Polls status() until it leaves Running; reports and returns nullopt if it never does
    // or fails.
    std::optional<JobStatus> wait_not_running(const BackendPtr& backend, const std::string& id) {
        auto deadline = Clock::now() + setup_.endBound;
        for (;;) {
            auto status = backend->status(id);
            if (!status) {
                ADD_FAILURE() << R() << "status() of an ended job returned "
                              << describe(status.error())
                              << " (it must answer Exited or Lost until destroy())";
                return std::nullopt;
            }
            if (status->state != RunState::Running) return *status;
            if (Clock::now() >= deadline) {
                ADD_FAILURE() << R() << "status() still says Running " << setup_.endBound.count()
                              << " ms after the job's exit record";
                return std::nullopt;
            }
            std::this_thread::sleep_for(milliseconds(10));
        }
    }

    void module_exports() {
        const LoadedModule& module = load_module(setup_.modulePath);
        const ClaudeJobsPluginInfo& info = *module.info;
        EXPECT_GE(info.structSize, sizeof(ClaudeJobsPluginInfo))
            << R() << "the info struct is " << info.structSize << " bytes, ABI "
            << CLAUDE_JOBS_ABI_MAJOR << "." << CLAUDE_JOBS_ABI_MINOR << " has "
            << sizeof(ClaudeJobsPluginInfo) << "; use CLAUDE_JOBS_BACKEND to make it";
        EXPECT_EQ(info.abiMajor, static_cast<std::uint32_t>(CLAUDE_JOBS_ABI_MAJOR))
            << R() << "built for ABI major " << info.abiMajor << ", this SDK is "
            << CLAUDE_JOBS_ABI_MAJOR;
        EXPECT_LE(info.abiMinor, static_cast<std::uint32_t>(CLAUDE_JOBS_ABI_MINOR))
            << R() << "built for ABI minor " << info.abiMinor << ", newer than this SDK's "
            << CLAUDE_JOBS_ABI_MINOR;
        ASSERT_TRUE(info.name && *info.name) << R() << "the info struct has no plugin name";
        ASSERT_TRUE(info.version && *info.version) << R() << "the info struct has no version";
        ASSERT_TRUE(info.compilerAbi && info.stdlibAbi) << R() << "the info struct lacks ABI tags";
        EXPECT_STREQ(info.compilerAbi, CLAUDE_JOBS_COMPILER_ABI)
            << R() << "the module's compiler ABI differs from this build's";
        EXPECT_STREQ(info.stdlibAbi, CLAUDE_JOBS_STDLIB_ABI)
            << R() << "the module's standard-library ABI differs from this build's";
        // The factory and deleter pair works more than once.
        for (int i = 0; i < 3; ++i) {
            auto fresh = kit_->new_backend(false);
            ASSERT_TRUE(fresh) << R() << describe(fresh.error());
        }
    }

    void module_hides_symbols() {
        const LoadedModule& module = load_module(setup_.modulePath);
        // The SDK's classes have no key function, so their typeinfo is emitted in every module
        // that implements them; with default visibility it would be exported.
        for (const char* symbol :
             {"_ZTIN11claude_jobs11IJobBackendE", "_ZTSN11claude_jobs11IJobBackendE",
              "_ZTVN11claude_jobs14JobBackendBaseE"}) {
            EXPECT_EQ(::dlsym(module.handle, symbol), nullptr)
                << R() << "the module exports " << symbol
                << "; build it with hidden visibility (-fvisibility=hidden "
                   "-fvisibility-inlines-hidden; claude_jobs_add_backend() does)";
        }
    }

    void info() {
        BackendInfo info = backend_->info();
        EXPECT_FALSE(info.plugin.empty()) << R() << "info().plugin is empty";
        EXPECT_FALSE(info.version.empty()) << R() << "info().version is empty";
        EXPECT_FALSE(info.description.empty()) << R() << "info().description is empty";
        if (!setup_.modulePath.empty()) {
            const LoadedModule& module = load_module(setup_.modulePath);
            EXPECT_EQ(info.plugin, module.info->name)
                << R() << "info().plugin differs from the module's exported name";
            EXPECT_EQ(info.version, module.info->version)
                << R() << "info().version differs from the module's exported version";
        }
        // Callable before configure(), and constant.
        auto fresh = kit_->new_backend(false);
        ASSERT_TRUE(fresh) << R() << describe(fresh.error());
        EXPECT_EQ((*fresh)->info().plugin, info.plugin)
            << R() << "info() before configure() answers differently";
    }

    void configure_accepts() {
        auto fresh = kit_->new_backend(false);
        ASSERT_TRUE(fresh) << R() << describe(fresh.error());
        auto configured = (*fresh)->configure(setup_.configJson, kit_->host());
        EXPECT_TRUE(configured) << R() << "configure(" << setup_.configJson << ") returned "
                                << describe(configured.error());
    }

    void configure_refuses_unknown_key() {
        auto config = with_unknown_key(setup_.configJson);
        ASSERT_TRUE(config) << R()
                            << "the setup's configJson is not a JSON object: " << setup_.configJson;
        auto fresh = kit_->new_backend(false);
        ASSERT_TRUE(fresh) << R() << describe(fresh.error());
        auto configured = (*fresh)->configure(*config, kit_->host());
        ASSERT_FALSE(configured) << R() << "configure(" << *config << ") accepted the unknown key "
                                 << kUnknownKey;
        EXPECT_EQ(configured.error().code, ErrorCode::InvalidArgument)
            << R() << "the error is " << describe(configured.error())
            << ", expected invalid_argument";
        EXPECT_NE(configured.error().message.find(kUnknownKey), std::string::npos)
            << R() << "the error does not name the key: " << configured.error().message;
    }

    void capabilities_stable() {
        Capabilities first = backend_->capabilities();
        Capabilities again = backend_->capabilities();
        EXPECT_TRUE(first.survivesServerRestart == again.survivesServerRestart &&
                    first.attach == again.attach && first.sendInput == again.sendInput)
            << R() << "capabilities() answered differently the second time";
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        auto attach = backend_->attachCommand(id);
        if (first.attach) {
            EXPECT_TRUE(attach && !attach->empty())
                << R() << "attach is set, but attachCommand() of a running job returned "
                << (attach ? "\"\"" : describe(attach.error()));
        } else {
            EXPECT_FALSE(attach) << R() << "attach is not set, but attachCommand() returned \""
                                 << *attach << "\"";
        }
        if (!first.sendInput) {
            auto sent = backend_->sendInput(id, "hello");
            EXPECT_FALSE(sent) << R() << "sendInput is not set, but sendInput() succeeded";
        }
    }

    void health() {
        auto healthy = backend_->health();
        EXPECT_TRUE(healthy) << R() << "health() returned " << describe(healthy.error());
        auto fresh = kit_->new_backend(false);
        ASSERT_TRUE(fresh) << R() << describe(fresh.error());
        // Whatever it answers before configure(), it answers without crashing.
        (void)(*fresh)->health();
    }

    void start_returns_handle() {
        TestJob job = kit_->prepare();
        auto began = Clock::now();
        auto handle = kit_->start(backend_, job);
        long took = elapsed_ms(began);
        ASSERT_TRUE(handle) << R() << "start() returned " << describe(handle.error());
        EXPECT_LE(took, setup_.startBound.count())
            << R() << "start() took " << took << " ms; it must return once the job runs, "
            << "within " << setup_.startBound.count() << " ms";
        EXPECT_EQ(handle->jobId, job.spec.jobId) << R() << "the handle names another job";
        EXPECT_EQ(handle->instanceName, kit_->host().instanceName)
            << R() << "the handle's instanceName is not HostContext::instanceName";
        EXPECT_GE(handle->stateVersion, 1u) << R() << "the handle's stateVersion is 0";
        EXPECT_TRUE(kit_->wait_facts(job, setup_.endBound))
            << R() << "start() succeeded but the job never ran" << job_files(job);
    }

    void status_running() {
        auto job = start_running(backend_);
        if (!job) return;
        auto status = backend_->status(job->job.spec.jobId);
        ASSERT_TRUE(status) << R() << "status() returned " << describe(status.error());
        EXPECT_EQ(status->state, RunState::Running)
            << R() << "status() of a running job says " << state_name(status->state) << " ("
            << status->reason << ")";
    }

    void exit_record() {
        auto job = start_running(backend_, {.exitCode = 3});
        if (!job) return;
        kit_->release(job->job);
        auto record = wait_exit(job->job, "after the job was released", setup_.endBound);
        if (!record) return;
        EXPECT_EQ(record->exitCode.value_or(-1), 3)
            << R() << "the job exited with 3; the exit record says " << record->text;
        EXPECT_FALSE(record->cancelled) << R() << "a job nobody stopped is recorded cancelled";
    }

    void status_after_exit() {
        auto job = start_running(backend_, {.exitCode = 3});
        if (!job) return;
        kit_->release(job->job);
        if (!wait_exit(job->job, "after the job was released", setup_.endBound)) return;
        auto status = wait_not_running(backend_, job->job.spec.jobId);
        if (!status) return;
        if (status->state == RunState::Exited && status->exitCode >= 0) {
            EXPECT_EQ(status->exitCode, 3) << R() << "status() says Exited with "
                                           << status->exitCode << ", the job exited with 3";
        }
        if (status->state == RunState::Lost) {
            EXPECT_FALSE(status->reason.empty()) << R() << "Lost needs a reason";
        }
    }

    void job_environment() {
        auto job = start_running(backend_);
        if (!job) return;
        EXPECT_EQ(job->facts.get("token"), job->job.token)
            << R() << "CLAUDE_JOBS_CONFORMANCE_TOKEN from JobSpec::env did not reach the job";
    }

    void job_work_folder() {
        auto job = start_running(backend_);
        if (!job) return;
        char real[PATH_MAX] = {};
        std::string expected =
            ::realpath(job->job.spec.workFolder.c_str(), real) ? real : job->job.spec.workFolder;
        EXPECT_EQ(job->facts.get("cwd"), expected)
            << R() << "the job's working folder is not JobSpec::workFolder";
    }

    void prompt_on_stdin() {
        JobOptions options;
        options.prompt = std::string(100000, 'p') + "\n";
        auto job = start_running(backend_, options);
        if (!job) return;
        EXPECT_EQ(job->facts.number("stdin"), static_cast<long>(options.prompt.size()))
            << R() << "the job read " << job->facts.get("stdin")
            << " bytes on stdin; prompt.txt has " << options.prompt.size();
    }

    void stop_ends_job() {
        auto job = start_running(backend_);
        if (!job) return;
        auto began = Clock::now();
        auto stopped = backend_->stop(job->job.spec.jobId, kStopGraceSec);
        long took = elapsed_ms(began);
        ASSERT_TRUE(stopped) << R() << "stop() returned " << describe(stopped.error());
        EXPECT_LE(took, setup_.stopBound.count())
            << R() << "stop() took " << took << " ms; it must ask and return, not wait";
        auto record = wait_exit(job->job, "after stop()", setup_.endBound);
        if (!record) return;
        EXPECT_TRUE(record->cancelled)
            << R() << "the exit record of a stopped job says " << record->text;
    }

    void stop_is_idempotent() {
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        auto first = backend_->stop(id, kStopGraceSec);
        ASSERT_TRUE(first) << R() << "the first stop() returned " << describe(first.error());
        auto second = backend_->stop(id, kStopGraceSec);
        EXPECT_TRUE(second) << R() << "a second stop() right after the first returned "
                            << describe(second.error());
        wait_exit(job->job, "after stop()", setup_.endBound);
    }

    void stop_after_exit_is_no_op() {
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        kit_->release(job->job);
        auto record = wait_exit(job->job, "after the job was released", setup_.endBound);
        if (!record || !wait_not_running(backend_, id)) return;
        for (int i = 0; i < 2; ++i) {
            auto stopped = backend_->stop(id, kStopGraceSec);
            EXPECT_TRUE(stopped) << R() << "stop() returned " << describe(stopped.error());
        }
        auto after = kit_->exit_record(job->job);
        EXPECT_TRUE(after && after->text == record->text)
            << R() << "stop() after the end changed the exit record";
        auto status = backend_->status(id);
        EXPECT_TRUE(status && status->state != RunState::Running)
            << R() << "after stop() of an ended job, status() says "
            << (status ? state_name(status->state) : describe(status.error()));
    }

    void stop_kills_after_grace() {
        auto job = start_running(backend_, {.ignoreTerm = true});
        if (!job) return;
        constexpr int kGraceSec = 1;
        auto began = Clock::now();
        auto stopped = backend_->stop(job->job.spec.jobId, kGraceSec);
        ASSERT_TRUE(stopped) << R() << "stop() returned " << describe(stopped.error());
        auto record = wait_exit(job->job, "after stop() with graceSec 1 (the job ignores SIGTERM)",
                                milliseconds(kGraceSec * 1000) + setup_.endBound);
        if (!record) return;
        long took = elapsed_ms(began);
        EXPECT_EQ(record->signal.value_or(0), SIGKILL)
            << R() << "a job ignoring SIGTERM must end by SIGKILL; the exit record says "
            << record->text;
        EXPECT_GE(took, kGraceSec * 1000 - 100) << R() << "the job was killed after " << took
                                                << " ms, before its " << kGraceSec << " s grace";
        EXPECT_LE(took, kGraceSec * 1000 + 5000)
            << R() << "the job ended " << took << " ms after stop() with a " << kGraceSec
            << " s grace: graceSec was not passed on";
    }

    // A heartbeat counter the stand-in's extra processes keep (0 when unreadable): the
    // grandchild's in FACTS.beat, the escapees' in FACTS.setsid.beat and FACTS.daemon.beat.
    static long beats(const TestJob& job, const std::string& which = "") {
        std::ifstream in(job.factsPath + which + ".beat");
        long n = 0;
        in >> n;
        return n;
    }

    // Waits until the counter moves; false when it never does within the end bound.
    bool beating(const TestJob& job, const std::string& which) {
        long first = beats(job, which);
        auto deadline = Clock::now() + setup_.endBound;
        while (beats(job, which) <= first && Clock::now() < deadline)
            std::this_thread::sleep_for(milliseconds(10));
        return beats(job, which) > first;
    }

    // A setsid'd child and a double-forked daemon are out of the job's process group, so
    // signalling the group misses them; a supervisor that tracks the job's whole tree (a
    // child subreaper, a cgroup, a container's pid namespace) ends them with the job, before
    // it records the end. Judged by their heartbeats, as WholeGroupKill is.
    void escapees_end(bool stop) {
        auto job = start_running(backend_, {.escapees = true});
        if (!job) return;
        ASSERT_GT(job->facts.number("setsid"), 0) << R() << "the stand-in reported no setsid child";
        ASSERT_GT(job->facts.number("daemon"), 0) << R() << "the stand-in reported no daemon";
        const std::vector<std::string> kinds = {".setsid", ".daemon"};
        for (const auto& kind : kinds)
            ASSERT_TRUE(beating(job->job, kind)) << R() << "the job's " << kind.substr(1)
                                                 << " process never beat: it is not running";
        if (stop) {
            auto stopped = backend_->stop(job->job.spec.jobId, kStopGraceSec);
            ASSERT_TRUE(stopped) << R() << "stop() returned " << describe(stopped.error());
        } else {
            kit_->release(job->job);
        }
        if (!wait_exit(job->job, stop ? "after stop()" : "after the job was released",
                       setup_.endBound))
            return;
        std::map<std::string, long> atEnd;
        for (const auto& kind : kinds) atEnd[kind] = beats(job->job, kind);
        std::this_thread::sleep_for(milliseconds(500));
        for (const auto& kind : kinds) {
            long later = beats(job->job, kind);
            ::unlink((job->job.factsPath + kind + ".beat").c_str());  // a survivor stops on its own
            EXPECT_EQ(later, atEnd[kind])
                << R() << "the job's "
                << (kind == ".setsid" ? "setsid'd child" : "double-forked daemon")
                << " still runs after the job " << (stop ? "was stopped" : "exited") << ": it beat "
                << (later - atEnd[kind]) << " more times after the exit record";
        }
    }

    // Judged by the grandchild's heartbeat, not by its pid, so that it holds wherever the job
    // runs (a container's pids mean nothing on the host).
    void whole_group_kill() {
        auto job = start_running(backend_, {.grandchild = true});
        if (!job) return;
        ASSERT_GT(job->facts.number("grandchild"), 0)
            << R() << "the stand-in reported no grandchild";
        long first = beats(job->job);
        auto deadline = Clock::now() + setup_.endBound;
        while (beats(job->job) <= first && Clock::now() < deadline)
            std::this_thread::sleep_for(milliseconds(10));
        ASSERT_GT(beats(job->job), first) << R() << "the job's child never beat: it is not running";
        auto stopped = backend_->stop(job->job.spec.jobId, kStopGraceSec);
        ASSERT_TRUE(stopped) << R() << "stop() returned " << describe(stopped.error());
        if (!wait_exit(job->job, "after stop()", setup_.endBound)) return;
        // A live child beats every 20 ms: a quiet half second after the end says it is gone.
        long atEnd = beats(job->job);
        std::this_thread::sleep_for(milliseconds(500));
        long later = beats(job->job);
        ::unlink((job->job.factsPath + ".beat").c_str());  // a survivor stops on its own
        EXPECT_EQ(later, atEnd) << R() << "the job's child (same process group) still runs after "
                                << "stop() ended the job: it beat " << (later - atEnd)
                                << " more times";
    }

    void unknown_id_not_found() {
        const std::string id = "conformance-never-started";
        auto status = backend_->status(id);
        ASSERT_FALSE(status) << R() << "status() of an unknown id answered "
                             << state_name(status->state);
        EXPECT_EQ(status.error().code, ErrorCode::NotFound)
            << R() << "status() of an unknown id returned " << describe(status.error());
        auto stopped = backend_->stop(id, 1);
        ASSERT_FALSE(stopped) << R() << "stop() of an unknown id succeeded";
        EXPECT_EQ(stopped.error().code, ErrorCode::NotFound)
            << R() << "stop() of an unknown id returned " << describe(stopped.error());
    }

    // A second instance, as a restarted server makes, with the first one gone.
    BackendPtr restart() {
        auto fresh = kit_->new_backend();
        if (!fresh) {
            ADD_FAILURE() << R() << "cannot make a second instance: " << describe(fresh.error());
            return nullptr;
        }
        return *fresh;
    }

    void recover_after_restart() {
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        BackendPtr second = restart();
        if (!second) return;
        kit_->hand_over(id, second);
        backend_.reset();
        for (int i = 0; i < 2; ++i) {
            auto recovered = second->recover(job->job.handle);
            ASSERT_TRUE(recovered) << R() << (i ? "a second " : "") << "recover() returned "
                                   << describe(recovered.error());
        }
        auto status = second->status(id);
        ASSERT_TRUE(status) << R() << "status() after recover() returned "
                            << describe(status.error());
        EXPECT_EQ(status->state, RunState::Running)
            << R() << "the recovered job runs, but status() says " << state_name(status->state)
            << " (" << status->reason << ")";
        auto stopped = second->stop(id, kStopGraceSec);
        ASSERT_TRUE(stopped) << R() << "stop() after recover() returned "
                             << describe(stopped.error());
        auto record =
            wait_exit(job->job, "after stop() through the recovering instance", setup_.endBound);
        if (!record) return;
        EXPECT_TRUE(record->cancelled) << R() << "the exit record says " << record->text;
        wait_not_running(second, id);
    }

    void recover_ended_job() {
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        kit_->release(job->job);
        if (!wait_exit(job->job, "after the job was released", setup_.endBound)) return;
        BackendPtr second = restart();
        if (!second) return;
        kit_->hand_over(id, second);
        backend_.reset();
        auto recovered = second->recover(job->job.handle);
        ASSERT_TRUE(recovered) << R() << "recover() of an ended job returned "
                               << describe(recovered.error());
        if (!wait_not_running(second, id)) return;
        auto stopped = second->stop(id, kStopGraceSec);
        EXPECT_TRUE(stopped) << R() << "stop() of a recovered, ended job returned "
                             << describe(stopped.error());
    }

    void recover_refuses_unreadable_handle() {
        JobHandle handle;
        handle.jobId = "conformance-unreadable";
        handle.instanceName = kit_->host().instanceName;
        handle.stateVersion = 1;
        handle.backendState = "this is not the state of any job {";
        auto recovered = backend_->recover(handle);
        ASSERT_FALSE(recovered) << R() << "recover() accepted the state \"" << handle.backendState
                                << "\"";
        EXPECT_EQ(recovered.error().code, ErrorCode::InvalidArgument)
            << R() << "recover() returned " << describe(recovered.error());
    }

    void destroy_idempotent() {
        auto job = start_running(backend_);
        if (!job) return;
        const std::string& id = job->job.spec.jobId;
        kit_->release(job->job);
        if (!wait_exit(job->job, "after the job was released", setup_.endBound)) return;
        if (!wait_not_running(backend_, id)) return;
        for (int i = 0; i < 2; ++i) {
            auto destroyed = backend_->destroy(id);
            EXPECT_TRUE(destroyed) << R() << (i ? "a second " : "") << "destroy() returned "
                                   << describe(destroyed.error());
        }
    }

    void no_leaked_descriptors() {
        auto job = start_running(backend_);
        if (!job) return;
        std::string leaks;
        for (const auto& [key, value] : job->facts.values)
            if (key.rfind("fd.", 0) == 0) leaks += "\n  " + key.substr(3) + " -> " + value;
        EXPECT_EQ(job->facts.get("fds"), "0,1,2")
            << R() << "the job has descriptors besides stdin, stdout and stderr:" << leaks;
    }

    void own_session() {
        auto job = start_running(backend_);
        if (!job) return;
        long sid = job->facts.number("sid");
        ASSERT_GT(sid, 0) << R() << "the stand-in reported no session";
        std::string ours = pid_namespace_of_this_process();
        if (!ours.empty() && job->facts.get("pidns") != ours) {
            // Another pid namespace (a container): no session of this host's reaches into it.
            SUCCEED() << "the job runs in pid namespace " << job->facts.get("pidns");
            return;
        }
        EXPECT_NE(sid, static_cast<long>(::getsid(0)))
            << R() << "the job runs in the host's session " << sid
            << "; a terminal's hangup or Ctrl-C would reach it";
    }

    static std::string pid_namespace_of_this_process() {
        char link[128] = {};
        ssize_t n = ::readlink("/proc/self/ns/pid", link, sizeof link - 1);
        return n > 0 ? std::string(link, static_cast<std::size_t>(n)) : "";
    }

    void leads_process_group() {
        auto job = start_running(backend_);
        if (!job) return;
        EXPECT_EQ(job->facts.number("pgid"), job->facts.number("pid"))
            << R() << "the job (pid " << job->facts.get("pid") << ") is in process group "
            << job->facts.get("pgid") << ", not one of its own";
    }

    void check_status_time(const std::string& id, const char* when) {
        for (int i = 0; i < 50; ++i) {
            auto began = Clock::now();
            auto status = backend_->status(id);
            long took = elapsed_ms(began);
            ASSERT_TRUE(status) << R() << "status() " << when << " returned "
                                << describe(status.error());
            if (took > setup_.statusBound.count()) {
                FAIL() << R() << "a status() call " << when << " took " << took
                       << " ms (the bound is " << setup_.statusBound.count()
                       << " ms); status() must not wait on anything slow";
            }
        }
    }

    void status_does_not_block() {
        auto job = start_running(backend_);
        if (!job) return;
        check_status_time(job->job.spec.jobId, "while the job runs");
        kit_->release(job->job);
        if (!wait_exit(job->job, "after the job was released", setup_.endBound)) return;
        check_status_time(job->job.spec.jobId, "after the job ended");
    }

    void concurrent_calls() {
        constexpr int kThreads = 4;
        std::mutex mutex;
        std::vector<std::string> failures;
        std::vector<TestJob> jobs(kThreads);
        auto fail = [&](const std::string& what) {
            std::lock_guard lock(mutex);
            failures.push_back(what);
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                TestJob job = kit_->prepare();
                auto handle = kit_->start(backend_, job);
                jobs[t] = job;
                if (!handle) return fail("start() returned " + describe(handle.error()));
                if (!kit_->wait_facts(job, setup_.endBound)) return fail("a job never ran");
                for (int i = 0; i < 20; ++i) {
                    auto status = backend_->status(job.spec.jobId);
                    if (!status) return fail("status() returned " + describe(status.error()));
                    if (status->state != RunState::Running)
                        return fail(std::string("status() of a running job says ") +
                                    state_name(status->state));
                    (void)backend_->capabilities();
                    (void)backend_->health();
                }
                auto stopped = backend_->stop(job.spec.jobId, kStopGraceSec);
                if (!stopped) return fail("stop() returned " + describe(stopped.error()));
            });
        }
        for (auto& thread : threads) thread.join();
        for (const auto& failure : failures) ADD_FAILURE() << R() << failure;
        if (!failures.empty()) return;
        for (const auto& job : jobs) wait_exit(job, "after stop()", setup_.endBound);
    }

    const BackendSetup& setup_;
    Rule rule_;
    std::unique_ptr<Kit> kit_;
    BackendPtr backend_;
};

}  // namespace

bool register_conformance_tests(const std::string& suiteName, const BackendSetup& setup) {
    // Kept for the life of the program: the registered tests refer to it.
    auto shared = std::make_shared<const BackendSetup>(setup);
    for (Rule rule : all_rules()) {
        ::testing::RegisterTest(
            suiteName.c_str(), rule_test_name(rule), nullptr, nullptr, __FILE__, __LINE__,
            [shared, rule]() -> ConformanceTest* { return new ConformanceTest(*shared, rule); });
    }
    return true;
}

}  // namespace claude_jobs::testing

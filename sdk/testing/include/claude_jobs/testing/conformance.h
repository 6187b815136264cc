// The backend conformance kit (SPEC §8): one GoogleTest test per rule of the IJobBackend
// contract, run against any backend — a built module loaded the way the server loads it, or
// an instance from a factory. A backend author registers the suite in a few lines:
//
//   #include <claude_jobs/testing/conformance.h>
//
//   CLAUDE_JOBS_CONFORMANCE(MyBackendConformance, [] {
//       auto setup = claude_jobs::testing::default_setup();  // module, runner, stand-in job
//       setup.configJson = R"({"someSetting": 3})";
//       return setup;
//   }());
//
// and links the test program against ClaudeJobs::testing (GoogleTest's main included), or
// uses claude_jobs_add_conformance_test() from the ClaudeJobsSDK CMake package, which also
// supplies the paths default_setup() reads. A failure names the rule it broke, e.g.
//   rule 'stop after exit is a no-op': stop() returned not_found: no job ...
//
// The jobs the kit starts run a small stand-in program (claude-jobs-conformance-job, shipped
// with the kit) in place of claude, under the real supervisor (claude-jobs-runner). The
// stand-in writes down what it sees of itself — pid, process group, session, descriptors,
// working folder, environment, stdin — into a file in the job's work folder, so the checks
// of the job's process read facts the job wrote rather than the host's /proc; a backend whose
// jobs run elsewhere (a container) still gets them checked, provided the work folder is
// shared at the same path. Rules that need the job's processes to be host processes (the
// grandchild's pid is looked up on the host) can be declared not applicable, with a reason.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "claude_jobs/job_backend.h"

namespace claude_jobs::testing {

// Every rule the kit checks. The order is the order of the tests.
enum class Rule {
    ModuleExports,                   // the module exports the entry points, ABI info that matches
    ModuleHidesSymbols,              // and nothing else of the SDK (hidden visibility)
    Info,                            // info() names the plugin, its version and a description
    ConfigureAccepts,                // configure() accepts the given settings
    ConfigureRefusesUnknownKey,      // an unknown key is InvalidArgument naming the key
    CapabilitiesStable,              // capabilities() answers the same each time; optional
                                     // methods answer per their flag
    Health,                          // health() passes once configured
    StartReturnsHandle,              // start() returns promptly with a handle for the job
    StatusRunning,                   // status() says Running while the job runs
    ExitRecord,                      // the supervisor's exit record carries the job's exit code
    StatusAfterExit,                 // status() leaves Running once the job has ended
    JobEnvironment,                  // the job's environment is JobSpec::env
    JobWorkFolder,                   // the job runs in JobSpec::workFolder
    PromptOnStdin,                   // the job reads prompt.txt on stdin
    StopEndsJob,                     // stop() returns at once and the job ends, recorded cancelled
    StopIsIdempotent,                // stop() twice on a running job succeeds twice
    StopAfterExitIsNoOp,             // stop() after the end succeeds and changes nothing
    StopKillsAfterGrace,             // a job ignoring SIGTERM is killed after graceSec
    WholeGroupKill,                  // stop() ends the job's children too
    EscapeesEndOnStop,               // and those that left its process group (setsid, daemons)
    EscapeesEndOnExit,               // which also end when the job exits by itself
    UnknownIdNotFound,               // status()/stop() of an unknown id is NotFound
    RecoverAfterRestart,             // a second instance recovers a running job, sees and stops it
    RecoverEndedJob,                 // recovering a job that ended works; status is not Running
    RecoverRefusesUnreadableHandle,  // a handle with unreadable state is InvalidArgument
    DestroyIdempotent,               // destroy() after the end succeeds, twice
    NoLeakedDescriptors,             // the job holds no descriptor but stdin, stdout, stderr
    OwnSession,                      // the job runs outside the host's session
    LeadsProcessGroup,               // the job leads its own process group
    StatusDoesNotBlock,              // status() answers within statusBound, always
    ConcurrentCalls,                 // starts, statuses and stops from several threads at once
};

// All rules, in order.
const std::vector<Rule>& all_rules();
// The rule as failure messages quote it, e.g. "stop after exit is a no-op".
const char* rule_description(Rule rule);
// The rule as a test name, e.g. "StopAfterExitIsNoOp".
const char* rule_test_name(Rule rule);

// What the kit tests and how.
struct BackendSetup {
    // A built module: loaded with dlopen as the server does, its entry points checked, and
    // instances made by its factory and freed by its deleter. Either this or `factory`.
    std::string modulePath;
    // An in-process alternative: a new, unconfigured instance each call.
    std::function<std::unique_ptr<IJobBackend>()> factory;

    std::string configJson = "{}";  // what configure() gets (the config entry minus "plugin")
    std::string instanceName = "conformance";
    std::string runnerPath;  // claude-jobs-runner, absolute (HostContext::runnerPath)
    std::string jobProgram;  // the stand-in, claude-jobs-conformance-job, absolute
    // Where the kit makes each test's state and work folders; the job must be able to see it
    // at the same path. Empty: $TMPDIR, else /tmp.
    std::string scratchDir;
    std::vector<std::string> extraJobEnv;  // "NAME=value", added to every job's environment

    // Rules that do not apply to this backend, each with the reason shown when it is skipped.
    std::map<Rule, std::string> notApplicable;

    std::chrono::milliseconds startBound{10000};  // start() returns within
    std::chrono::milliseconds statusBound{250};   // each status() returns within
    std::chrono::milliseconds stopBound{2000};    // stop() returns within
    std::chrono::milliseconds endBound{20000};    // a job ends (exit record) within, after
                                                  // release or stop (+ grace)
};

// Registers one test per rule, in the GoogleTest suite `suiteName`. Call before
// RUN_ALL_TESTS (CLAUDE_JOBS_CONFORMANCE does it during static initialisation). Returns true.
bool register_conformance_tests(const std::string& suiteName, const BackendSetup& setup);

// A setup filled from the paths the build gives the test program as compile definitions:
// CLAUDE_JOBS_TEST_MODULE (the module under test), CLAUDE_JOBS_RUNNER_PATH and
// CLAUDE_JOBS_CONFORMANCE_JOB_PATH. claude_jobs_add_conformance_test() defines all three.
inline BackendSetup default_setup() {
    BackendSetup setup;
#ifdef CLAUDE_JOBS_TEST_MODULE
    setup.modulePath = CLAUDE_JOBS_TEST_MODULE;
#endif
#ifdef CLAUDE_JOBS_RUNNER_PATH
    setup.runnerPath = CLAUDE_JOBS_RUNNER_PATH;
#endif
#ifdef CLAUDE_JOBS_CONFORMANCE_JOB_PATH
    setup.jobProgram = CLAUDE_JOBS_CONFORMANCE_JOB_PATH;
#endif
    return setup;
}

}  // namespace claude_jobs::testing

// Registers the conformance suite `suite` for a backend, at static initialisation.
#define CLAUDE_JOBS_CONFORMANCE(suite, ...)                        \
    static const bool claude_jobs_conformance_registered_##suite = \
        ::claude_jobs::testing::register_conformance_tests(#suite, __VA_ARGS__)

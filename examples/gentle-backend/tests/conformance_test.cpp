// gentle through the claude-jobs conformance kit: every rule of the backend contract applies.
#include <claude_jobs/testing/conformance.h>

CLAUDE_JOBS_CONFORMANCE(GentleConformance, [] {
    auto setup = claude_jobs::testing::default_setup();
    setup.configJson = R"({"niceness": 15, "ioClass": "idle", "openFiles": 1024})";
    return setup;
}());

CLAUDE_JOBS_CONFORMANCE(GentleBestEffortConformance, [] {
    auto setup = claude_jobs::testing::default_setup();
    setup.configJson = R"({"ioClass": "best-effort", "ioLevel": 6, "cpuSeconds": 600})";
    return setup;
}());

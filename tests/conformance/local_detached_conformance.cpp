// local-detached through the conformance kit: every rule applies, with its default settings
// and with a niceness set.
#include <claude_jobs/testing/conformance.h>

CLAUDE_JOBS_CONFORMANCE(LocalDetachedConformance, claude_jobs::testing::default_setup());

CLAUDE_JOBS_CONFORMANCE(LocalDetachedNiceConformance, [] {
    auto setup = claude_jobs::testing::default_setup();
    setup.configJson = R"({"niceness": 5})";
    return setup;
}());

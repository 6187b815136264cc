// container through the conformance kit: real Podman, the suite's local stand-in image (built
// by tests/container/setup.sh, which scripts/test.sh runs before ctest) and the containers.conf
// the container integration tests use. The kit's stand-in program is bind-mounted read-only
// into the job's container and named as the claude inside the image; it needs only glibc and
// libstdc++, which the image holds. The work folder and job folder are mounted at the same
// paths, so the facts the stand-in writes and the supervisor's exit record land where the kit
// reads them.
#include <stdlib.h>

#include <claude_jobs/testing/conformance.h>

namespace {

const std::string kImage = "localhost/claude-jobs-test:stand-in";
const std::string kStandIn = "/opt/claude-jobs-conformance/claude-jobs-conformance-job";

claude_jobs::testing::BackendSetup container_setup() {
    // podman (run by the backend, which hands its environment on) reads this configuration:
    // runc, and resource limits this machine allows.
    ::setenv("CONTAINERS_CONF", CONTAINER_TEST_DIR "/containers.conf", 1);
    auto setup = claude_jobs::testing::default_setup();
    // The job's environment reaches the container only through the backend's `env` filter:
    // the kit's variables are CLAUDE_JOBS_*.
    setup.configJson = R"({"runtime": "podman", "image": ")" + kImage + R"(", "claudePath": ")" +
                       kStandIn + R"(", "network": "none", "env": ["CLAUDE_JOBS_*"], )" +
                       R"("mounts": [{"source": ")" + setup.jobProgram + R"(", "target": ")" +
                       kStandIn + R"("}]})";
    return setup;
}

}  // namespace

CLAUDE_JOBS_CONFORMANCE(ContainerConformance, container_setup());

// slurm through the conformance kit: each job is a batch job on the private single-node
// cluster the slurm_cluster test fixture starts (tests/slurm/cluster.sh), its SLURM_CONF in this
// test's environment. The scratch folder is on this machine, which is the cluster's only node,
// so the runner there writes where the kit reads. Every rule applies.
#include <unistd.h>

#include <string>

#include <claude_jobs/testing/conformance.h>

namespace {

claude_jobs::testing::BackendSetup slurm_setup() {
    auto setup = claude_jobs::testing::default_setup();
    setup.configJson = "{}";
    // Skipped only where Slurm is not installed (the fixture then starts no cluster). Where it
    // is, a missing cluster is a failure the kit reports (health() says the controller is down).
    if (::access("/usr/bin/sbatch", X_OK) != 0 && ::access("/usr/local/bin/sbatch", X_OK) != 0)
        for (auto rule : claude_jobs::testing::all_rules())
            setup.notApplicable[rule] =
                "Slurm is not installed here (scripts/install-deps.sh --test installs it)";
    return setup;
}

}  // namespace

CLAUDE_JOBS_CONFORMANCE(SlurmConformance, slurm_setup());

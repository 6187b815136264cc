// The side-by-side mode of the benchmark: after its own measures, it runs the peer benchmark
// (shared/peer-bench/run.sh: claude-jobs and the two servers it replaces, one interleaved run)
// on the same build, and prints each measure with the peers' figures from that run and the
// ratio to the best peer (under 1.0: claude-jobs is faster or smaller).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace cj::bench {

struct PeerOptions {
    std::string runScript;  // run.sh; "" = not found
    std::string buildDir;   // the build folder holding bin/claude-jobs
    std::string outDir;     // where run.sh writes its results
    std::string phases;     // run.sh --only ("" = its default: every phase)
    int rounds = 1;
    bool quick = false;
};

// run.sh from --peer-bench, $CLAUDE_JOBS_PEER_BENCH, or shared/peer-bench in a folder above
// `from` (a checkout's sibling "shared" folder); "" when there is none.
std::string find_peer_bench(const std::string& given, const std::string& from);

// Runs run.sh (its progress on stderr) and prints the comparison. `own`: this benchmark's
// medians by key, from the same session. Returns run.sh's exit status.
int run_side_by_side(const PeerOptions& options, const std::map<std::string, double>& own);

}  // namespace cj::bench

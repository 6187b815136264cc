// What Slurm says of its jobs: squeue's answer for the jobs this backend follows, read into
// plain entries, and how a Slurm state reads for a person. Pure functions, unit-tested.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cj::slurm {

// squeue's --format for parse_queue: id, state, nodes, reason (last: the only free text).
inline constexpr char kQueueFormat[] = "%i|%T|%N|%r";

struct QueueEntry {
    std::string state;   // Slurm's long state name: PENDING, RUNNING, COMPLETED, NODE_FAIL, ...
    std::string nodes;   // where it runs or ran; "" while pending
    std::string reason;  // Slurm's reason: Resources, Priority, None, ...
};

// squeue --noheader --format=kQueueFormat output, by Slurm job id; lines it cannot read are
// skipped.
std::map<std::string, QueueEntry> parse_queue(const std::string& out);

// Whether Slurm has ended the job (COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...). A
// state this backend does not know counts as not ended: the runner's records decide then.
bool ended_state(const std::string& state);

// One line for a job waiting in the queue: "waiting in Slurm's queue (job 12): the cluster has
// no free resources for it now (Resources)".
std::string describe_pending(const std::string& slurmJobId, const QueueEntry& entry);

// One line for a job Slurm ended before its runner wrote an exit record.
std::string describe_end(const std::string& slurmJobId, const QueueEntry& entry);

}  // namespace cj::slurm

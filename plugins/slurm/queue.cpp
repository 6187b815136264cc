// Reading squeue's answer (see queue.h).
#include "queue.h"

#include <set>

namespace cj::slurm {

namespace {

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && text[start] == ' ') ++start;
    return text.substr(start);
}

std::string pending_why(const std::string& reason) {
    if (reason == "Resources") return "the cluster has no free resources for it now";
    if (reason == "Priority") return "jobs of higher priority are ahead of it";
    if (reason == "None" || reason.empty()) return "not yet scheduled";
    if (reason == "Dependency") return "it waits for another job";
    if (reason == "BeginTime") return "its start time has not come";
    if (reason == "JobHeldUser" || reason == "JobHeldAdmin") return "it is held (scontrol release)";
    if (reason == "ReqNodeNotAvail") return "the nodes it needs are not available";
    if (reason == "PartitionDown" || reason == "PartitionInactive")
        return "its partition is not taking jobs";
    if (reason.rfind("QOS", 0) == 0 || reason.rfind("Assoc", 0) == 0)
        return "a limit of its account or QOS holds it";
    return "Slurm holds it";
}

}  // namespace

std::map<std::string, QueueEntry> parse_queue(const std::string& out) {
    std::map<std::string, QueueEntry> entries;
    std::size_t at = 0;
    while (at < out.size()) {
        auto end = out.find('\n', at);
        std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
        at = end == std::string::npos ? out.size() : end + 1;
        auto a = line.find('|');
        if (a == std::string::npos) continue;
        auto b = line.find('|', a + 1);
        if (b == std::string::npos) continue;
        auto c = line.find('|', b + 1);
        if (c == std::string::npos) continue;
        std::string id = trim(line.substr(0, a));
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
        QueueEntry entry{trim(line.substr(a + 1, b - a - 1)), trim(line.substr(b + 1, c - b - 1)),
                         trim(line.substr(c + 1))};
        if (entry.state.empty()) continue;
        entries[id] = std::move(entry);
    }
    return entries;
}

bool ended_state(const std::string& state) {
    static const std::set<std::string> ended = {
        "COMPLETED", "FAILED",   "CANCELLED",     "TIMEOUT", "NODE_FAIL",   "PREEMPTED",
        "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT"};
    return ended.count(state) > 0;
}

std::string describe_pending(const std::string& slurmJobId, const QueueEntry& entry) {
    std::string line =
        "waiting in Slurm's queue (job " + slurmJobId + "): " + pending_why(entry.reason);
    if (!entry.reason.empty() && entry.reason != "None") line += " (" + entry.reason + ")";
    return line;
}

std::string describe_end(const std::string& slurmJobId, const QueueEntry& entry) {
    const std::string& s = entry.state;
    std::string what;
    if (s == "CANCELLED")
        what = "was cancelled in Slurm (scancel, or an administrator)";
    else if (s == "TIMEOUT")
        what = "reached Slurm's time limit";
    else if (s == "NODE_FAIL")
        what = "lost its node" + (entry.nodes.empty() ? "" : " " + entry.nodes) + " (node failure)";
    else if (s == "PREEMPTED")
        what = "was preempted by Slurm";
    else if (s == "OUT_OF_MEMORY")
        what = "was ended by Slurm for using more memory than it was given";
    else if (s == "BOOT_FAIL")
        what = "could not start: its node failed to boot";
    else if (s == "DEADLINE")
        what = "passed its deadline";
    else
        what = "ended as " + s;
    std::string line = "Slurm job " + slurmJobId + " " + what;
    if (!entry.reason.empty() && entry.reason != "None") line += " (reason: " + entry.reason + ")";
    return line + " before its supervisor recorded the exit";
}

}  // namespace cj::slurm

// Encoding the per-job state (see state.h).
#include "state.h"

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace cj::slurm {

bool valid_slurm_job_id(const std::string& text) {
    if (text.empty() || text.size() > 10) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return text != "0";
}

std::string encode_state(const SlurmJob& job) {
    return nlohmann::json{
        {"slurmJobId", job.slurmJobId}, {"cluster", job.cluster}, {"jobDir", job.jobDir}}
        .dump();
}

bool decode_state(const std::string& text, SlurmJob& out, std::string& why) {
    nlohmann::json json;
    if (!cj::plugin_common::parse_object(text, json, why)) return false;
    SlurmJob job;
    if (!cj::plugin_common::read_string(json, "slurmJobId", job.slurmJobId, why) ||
        !cj::plugin_common::read_string(json, "cluster", job.cluster, why) ||
        !cj::plugin_common::read_string(json, "jobDir", job.jobDir, why))
        return false;
    if (!valid_slurm_job_id(job.slurmJobId)) {
        why = "\"slurmJobId\" is not a Slurm job id";
        return false;
    }
    if (job.jobDir.empty() || job.jobDir.front() != '/') {
        why = "\"jobDir\" is not an absolute path";
        return false;
    }
    out = std::move(job);
    return true;
}

}  // namespace cj::slurm

// The slurm backend's opaque per-job state (JobHandle::backendState): the Slurm job id, which
// is all a later server needs to ask Slurm about the job, and the job folder.
#pragma once

#include <cstdint>
#include <string>

namespace cj::slurm {

// Bumped when SlurmJob's meaning changes; recover() refuses versions it does not know.
constexpr std::uint32_t kStateVersion = 1;

struct SlurmJob {
    std::string slurmJobId;  // as sbatch --parsable printed it: digits (array/het ids unused)
    std::string cluster;     // "" unless sbatch named one (a federation)
    std::string jobDir;
};

// JobHandle::backendState, and back (RunnerBackend finds these next to SlurmJob).
std::string encode_state(const SlurmJob& job);
// False with a reason for anything but a well-formed state; never throws on bad input.
bool decode_state(const std::string& text, SlurmJob& out, std::string& why);

// Whether text is a Slurm job id as this backend submits them: 1 to 10 digits.
bool valid_slurm_job_id(const std::string& text);

}  // namespace cj::slurm

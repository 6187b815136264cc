// What one job's submission is made of: the batch script, the runner's argument vector beside
// it, sbatch's own argument vector and environment. Pure functions, unit-tested.
//
// Why this shape (no prompt, secret or hostile string may reach a shell or a command line):
//   - The batch script is fixed text whose only variable part is one path, the argument file's,
//     single-quoted for the shell. It reads that file with bash's `mapfile -d ''` — as data,
//     NUL-separated, never parsed as shell code — and execs the runner with it, so the runner
//     is the batch step's process (and gets scancel's signals itself).
//   - The argument file (jobDir/slurm-argv, 0600) holds claude-jobs-runner's argv: the job and
//     work folders and claude's arguments, whatever characters they hold.
//   - sbatch's command line holds only fixed options, the configured settings (checked when
//     configured), the job folder's path and the Slurm job name "claude-jobs-<jobId>" (the id
//     is validated by the server). The client's label never reaches Slurm.
//   - The job's environment travels as sbatch's own environment (--export=ALL, which Slurm
//     passes through its RPC, not a command line); the prompt stays in prompt.txt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "settings.h"

namespace cj::slurm {

// Files of the job folder this backend adds (the job-folder contract leaves own names free).
inline constexpr char kArgvFile[] = "slurm-argv";   // the runner's argv, NUL-terminated items
inline constexpr char kOutputFile[] = "slurm.out";  // the batch step's stdout and stderr

// Seconds added to a job's timeoutSec for Slurm's own time limit: the runner enforces the
// job's limit and then needs its grace to end the job and record the exit.
inline constexpr std::int64_t kTimeLimitMarginSec = 120;

// 'text' for a POSIX shell: single quotes, a quote inside as '\''.
std::string shell_quote(const std::string& text);

// The batch script for the argument file at argvFile (absolute).
std::string batch_script(const std::string& argvFile);

// items, each followed by a NUL byte (what mapfile -d '' reads back).
std::string encode_argv(const std::vector<std::string>& items);

// --time's value: settings.timeLimit when set, else the job's limit plus the margin in whole
// minutes (rounded up), nullopt for a job without a limit.
std::optional<std::string> time_limit(const Settings& settings, std::int64_t timeoutSec);

// The Slurm job name of a job: "claude-jobs-<jobId>".
std::string job_name(const std::string& jobId);

// sbatch's argv (sbatchPath first); the script comes on stdin.
std::vector<std::string> sbatch_argv(const Settings& settings, const std::string& sbatchPath,
                                     const std::string& jobId, const std::string& jobDir,
                                     std::int64_t timeoutSec);

// sbatch's environment, which --export=ALL hands to the job: the job's variables selected by
// `patterns`, without those sbatch or srun would read as options or as an enclosing job's
// (SBATCH_*, SALLOC_*, SRUN_*, SLURM_*), plus SLURM_CONF when the server has one (slurmConf).
std::vector<std::string> sbatch_env(const std::vector<std::string>& jobEnv,
                                    const std::vector<std::string>& patterns,
                                    const std::string& slurmConf);

// What sbatch --parsable printed: "<id>" or "<id>;<cluster>". False for anything else.
bool parse_sbatch_output(const std::string& out, std::string& jobId, std::string& cluster);

}  // namespace cj::slurm

// Building a job's submission (see submit.h).
#include "submit.h"

#include <cctype>

#include "state.h"

namespace cj::slurm {

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string batch_script(const std::string& argvFile) {
    return "#!/bin/bash\n"
           "# claude-jobs: runs this job's supervisor, claude-jobs-runner. Its arguments are read\n"
           "# as data (NUL-separated) from the job folder; the shell interprets none of them.\n"
           "mapfile -d '' -t argv < " +
           shell_quote(argvFile) +
           " || exit 121\n"
           "[ \"${#argv[@]}\" -gt 0 ] || exit 121\n"
           "exec \"${argv[@]}\"\n";
}

std::string encode_argv(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += item;
        out += '\0';
    }
    return out;
}

std::optional<std::string> time_limit(const Settings& settings, std::int64_t timeoutSec) {
    if (!settings.timeLimit.empty()) return settings.timeLimit;
    if (timeoutSec <= 0) return std::nullopt;
    std::int64_t seconds = timeoutSec + kTimeLimitMarginSec;
    return std::to_string((seconds + 59) / 60);
}

std::string job_name(const std::string& jobId) {
    return "claude-jobs-" + jobId;
}

std::vector<std::string> sbatch_argv(const Settings& settings, const std::string& sbatchPath,
                                     const std::string& jobId, const std::string& jobDir,
                                     std::int64_t timeoutSec) {
    std::vector<std::string> argv = {
        sbatchPath,         "--parsable",   "--job-name=" + job_name(jobId),
        "--chdir=/",        "--export=ALL", "--no-requeue",
        "--input=/dev/null"};
    // Slurm reads %-patterns and backslashes in an output path; a folder holding either gets
    // no output file rather than a wrong one.
    if (jobDir.find_first_of("%\\") == std::string::npos)
        argv.push_back("--output=" + jobDir + "/" + kOutputFile);
    else
        argv.push_back("--output=/dev/null");
    if (auto limit = time_limit(settings, timeoutSec)) argv.push_back("--time=" + *limit);
    if (!settings.partition.empty()) argv.push_back("--partition=" + settings.partition);
    if (!settings.account.empty()) argv.push_back("--account=" + settings.account);
    if (!settings.qos.empty()) argv.push_back("--qos=" + settings.qos);
    if (settings.cpus > 0) argv.push_back("--cpus-per-task=" + std::to_string(settings.cpus));
    if (!settings.memory.empty()) argv.push_back("--mem=" + settings.memory);
    if (!settings.constraint.empty()) argv.push_back("--constraint=" + settings.constraint);
    argv.insert(argv.end(), settings.extraArgs.begin(), settings.extraArgs.end());
    return argv;  // no script operand: sbatch reads the script from stdin
}

std::vector<std::string> sbatch_env(const std::vector<std::string>& jobEnv,
                                    const std::vector<std::string>& patterns,
                                    const std::string& slurmConf) {
    auto slurms = [](const std::string& name) {
        for (const char* prefix : {"SBATCH_", "SALLOC_", "SRUN_", "SLURM_"})
            if (name.rfind(prefix, 0) == 0) return true;
        return false;
    };
    std::vector<std::string> env;
    for (const auto& entry : jobEnv) {
        auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string name = entry.substr(0, eq);
        if (slurms(name) || !env_name_selected(patterns, name)) continue;
        env.push_back(entry);
    }
    if (!slurmConf.empty()) env.push_back("SLURM_CONF=" + slurmConf);
    return env;
}

bool parse_sbatch_output(const std::string& out, std::string& jobId, std::string& cluster) {
    std::string line = out.substr(0, out.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    auto semi = line.find(';');
    std::string id = line.substr(0, semi);
    std::string name = semi == std::string::npos ? "" : line.substr(semi + 1);
    if (!valid_slurm_job_id(id)) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    jobId = id;
    cluster = name;
    return true;
}

}  // namespace cj::slurm

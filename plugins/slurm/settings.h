// The slurm backend's settings: the backend's object from the config file, checked once in
// configure(). Every key is optional; docs/backends/slurm.md describes each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cj::slurm {

struct Settings {
    std::string partition;   // --partition; "" = the cluster's default
    std::string account;     // --account
    std::string qos;         // --qos
    int cpus = 0;            // --cpus-per-task; 0 = Slurm's default (1)
    std::string memory;      // --mem, e.g. "4G"; "" = the partition's default
    std::string timeLimit;   // --time as Slurm writes it; "" = the job's timeoutSec + a margin
    std::string constraint;  // --constraint
    std::vector<std::string> extraArgs;  // more sbatch options, before the batch script
    // The Slurm commands; "" = looked up on the server's PATH when configured.
    std::string sbatchPath, squeuePath, scancelPath, scontrolPath;
    // Names (or NAME_* prefixes, or "*") of the job's variables the job gets on the node.
    std::vector<std::string> environment = {"*"};
    // The folder every node mounts at the same path; the state dir and work folders must be
    // under it. "" = a single-machine cluster (no check).
    std::string sharedRoot;
    // claude-jobs-runner's path on the nodes; "" = the server's own (HostContext::runnerPath).
    std::string runnerPath;
};

// Reads settings JSON ("{}" or "" = all defaults). False with a reason naming the key for an
// unknown key or a bad value. The command paths are not looked up here (health() does that).
bool parse_settings_json(const std::string& configJson, Settings& out, std::string& why);

// Whether NAME is selected by the patterns of Settings::environment.
bool env_name_selected(const std::vector<std::string>& patterns, const std::string& name);

// Whether path is inside (or is) folder; both absolute, compared as written (no symlinks).
bool path_within(const std::string& path, const std::string& folder);

}  // namespace cj::slurm

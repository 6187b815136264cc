// Asking the runtime how a job's containers stand: one `inspect` for several containers, and
// reading its answer. Pure functions; the backend runs the command.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cj::container {

struct ContainerState {
    enum class Kind { Running, Exited, Gone } kind = Kind::Running;
    std::string status;  // the runtime's word: created, running, exited, ...
    int exitCode = -1;
    bool oomKilled = false;
    std::string jobLabel;  // its claude-jobs.job label: whose job it runs
};

// `inspect --type container --format ... NAME...`
std::vector<std::string> inspect_argv(const std::string& runtime,
                                      const std::vector<std::string>& names);

// What the runtime answered, for the names asked about. A name that appears neither in the
// output nor as "no such container" in the errors is left out: nothing is known of it.
std::map<std::string, ContainerState> parse_inspect(const std::vector<std::string>& names,
                                                    const std::string& out, const std::string& err);

}  // namespace cj::container

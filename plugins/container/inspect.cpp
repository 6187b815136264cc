// Reading `inspect` (see inspect.h). The format is the same Go template for docker and
// podman; docker prefixes names with '/'.
#include "inspect.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace cj::container {

namespace {

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// Whether `line` names `name` as a whole word (so "job-1" is not found in "job-12").
bool mentions(const std::string& line, const std::string& name) {
    for (std::size_t at = line.find(name); at != std::string::npos; at = line.find(name, at + 1)) {
        bool before = at == 0 || !name_char(line[at - 1]);
        std::size_t end = at + name.size();
        bool after = end >= line.size() || !name_char(line[end]);
        if (before && after) return true;
    }
    return false;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::vector<std::string> inspect_argv(const std::string& runtime,
                                      const std::vector<std::string>& names) {
    std::vector<std::string> argv = {
        runtime,
        "inspect",
        "--type",
        "container",
        "--format",
        "{{.Name}}\t{{.State.Status}}\t{{.State.ExitCode}}\t{{.State.OOMKilled}}\t"
        "{{index .Config.Labels \"claude-jobs.job\"}}"};
    argv.insert(argv.end(), names.begin(), names.end());
    return argv;
}

std::map<std::string, ContainerState> parse_inspect(const std::vector<std::string>& names,
                                                    const std::string& out,
                                                    const std::string& err) {
    std::map<std::string, ContainerState> found;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::istringstream parts(line);
        std::string field;
        while (std::getline(parts, field, '\t')) fields.push_back(field);
        if (fields.size() < 5) continue;
        std::string name = fields[0];
        if (!name.empty() && name.front() == '/') name.erase(0, 1);
        if (std::find(names.begin(), names.end(), name) == names.end()) continue;
        ContainerState state;
        state.status = fields[1];
        try {
            state.exitCode = std::stoi(fields[2]);
        } catch (...) {
            state.exitCode = -1;
        }
        state.oomKilled = fields[3] == "true";
        state.jobLabel = fields[4];
        // created, running, paused, restarting, removing: not over yet.
        state.kind =
            (state.status == "exited" || state.status == "dead" || state.status == "stopped")
                ? ContainerState::Kind::Exited
                : ContainerState::Kind::Running;
        found[name] = state;
    }
    std::istringstream errors(err);
    while (std::getline(errors, line)) {
        std::string text = lower(line);
        if (text.find("no such") == std::string::npos) continue;
        for (const auto& name : names) {
            if (found.count(name) || !mentions(line, name)) continue;
            ContainerState gone;
            gone.kind = ContainerState::Kind::Gone;
            gone.status = "gone";
            found[name] = gone;
        }
    }
    return found;
}

}  // namespace cj::container

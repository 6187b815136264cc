// What a person (or a model) is told about the setup: each configured backend, usable now
// or why not, and the problems that would make every job fail. Typed here; claude_backends
// and `claude-jobs backends`/`doctor` render it.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/types.h"
#include "core/config/config.h"
#include "core/jobs/backend_set.h"

namespace cj::jobs {

struct BackendReport {
    std::string name;
    std::string plugin;
    bool isDefault = false;
    bool available = false;
    std::string reason;  // why not, when not available
    std::string version;
    std::string description;
    claude_jobs::Capabilities capabilities;
};

// Each configured backend in config order; health() is asked now (a binary may have
// appeared or vanished since the start).
std::vector<BackendReport> report_backends(const config::Config& config,
                                           const BackendSet& backends);

// Problems with the setup that make every job fail, each with what to do about it.
// baseEnv: the environment jobs inherit ("NAME=value").
std::vector<std::string> setup_warnings(const config::Config& config,
                                        const std::vector<std::string>& baseEnv);

}  // namespace cj::jobs

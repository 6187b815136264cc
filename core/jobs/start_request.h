// A claude_start request after its arguments have been type-checked, and the claude command
// line built from it (SPEC §3.3). Clients never add raw flags; only the config can.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/jobs/spec_options.h"

namespace cj::jobs {

// The permission modes claude takes (--permission-mode), as claude_start accepts them.
const std::vector<std::string>& permission_modes();

struct StartRequest {
    std::string prompt;
    std::string workFolder;  // "" = the default work folder
    std::string model;
    std::string backend;
    std::string jobId;
    std::string idempotencyKey;
    std::string resumeSessionId;
    std::string resumeJobId;
    bool forkSession = false;
    std::optional<std::string> permissionMode;
    std::vector<std::string> allowedTools;
    std::vector<std::string> disallowedTools;
    std::optional<std::int64_t> timeoutSec;
    std::optional<double> maxBudgetUsd;
    std::string label;
    std::string isolation;  // none | worktree | copy; "" = the config's (route, then default)
    bool includeUncommitted = false;  // worktree: carry the folder's uncommitted changes over
    std::string clientName;  // who asks, as the client named itself ("" = unknown)
    std::optional<bool> resumeAfterLimit;  // unset = config limits.resumeAfterLimit
    SpecOptions options;                   // effort, maxTurns, jsonSchema, … (spec_options.h)
    // Set only by the resumer (docs/limits.md): the rate-limited job this one continues, and
    // how many resumes its chain has had with this one.
    std::string resumeOf;
    int resumeAttempt = 0;
};

// What the job index keeps of a request (everything but the prompt, which is in prompt.txt),
// with the values the server resolved: timeout, session to resume, permission mode.
struct JobSettings {
    std::string model;
    std::string permissionMode;
    std::vector<std::string> allowedTools;
    std::vector<std::string> disallowedTools;
    std::string resumeSessionId;
    bool forkSession = false;
    std::optional<double> maxBudgetUsd;
    std::int64_t timeoutSec = 0;
    std::string isolation = "none";
    bool includeUncommitted = false;
    bool resumeAfterLimit = false;
    SpecOptions options;
    std::string resumeOf;  // the job this one resumes after a usage limit
    int resumeAttempt = 0;

    nlohmann::json to_json() const;
    static JobSettings from_json(const nlohmann::json& j);
};

// Exactly what the supervisor is to run, fixed when the job is accepted and kept in the job
// index until it is launched: a queued job may be launched later by another server process,
// and must run with the accepting server's settings, environment and depth, not the
// launcher's.
struct LaunchPlan {
    std::string claudePath;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::int64_t timeoutSec = 0;

    std::string to_json() const;
    static std::optional<LaunchPlan> from_json(const std::string& text);
};

// claude's arguments (without the program): -p --output-format stream-json --verbose ...
std::vector<std::string> claude_args(const JobSettings& settings,
                                     const config::ClaudeConfig& claude);

// The job's environment: `base` ("NAME=value") minus claude.removeEnv, with
// CLAUDE_JOBS_JOB_ID and CLAUDE_JOBS_DEPTH set, plus claude.env.
std::vector<std::string> job_environment(const std::vector<std::string>& base,
                                         const config::ClaudeConfig& claude,
                                         const std::string& jobId, int depth);

// The server process's own environment as "NAME=value" strings.
std::vector<std::string> process_environment();

}  // namespace cj::jobs

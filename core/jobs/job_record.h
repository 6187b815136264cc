// A job as the job index stores it: one row, plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cj::jobs {

// SPEC §3.2. Terminal states never change.
enum class JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    TimedOut,
    Orphaned,
    RateLimited,     // the API refused it for a usage limit (docs/limits.md)
    BudgetExceeded,  // stopped by its maxBudgetUsd
};

// Every state, in lifecycle order: the one list schemas, counts and the command line use.
const std::vector<JobState>& all_states();
// Their names, in the same order ("queued", "running", ...).
const std::vector<std::string>& all_state_names();
const char* state_name(JobState state);
std::optional<JobState> parse_state(const std::string& name);
bool is_terminal(JobState state);
// The MCP task status a state maps to: working, completed, failed, cancelled.
const char* task_status(JobState state);

// Who started a job: this server process (one stdio server serves one client connection),
// the client's name from initialize, and the host's session and project when the server's
// environment names them (Claude Code sets CLAUDE_CODE_SESSION_ID and CLAUDE_PROJECT_DIR for
// its MCP servers and its hooks, so a hook can find the jobs of its own session).
struct JobOwner {
    std::string instance;  // a random id per server (or command-line) process
    std::string client;    // e.g. "claude-code 2.1.329"
    std::string session;   // CLAUDE_CODE_SESSION_ID, "" when unknown
    std::string project;   // CLAUDE_PROJECT_DIR, "" when unknown
};

struct JobRecord {
    std::int64_t seq = 0;  // insertion order: FIFO for the queue, newest-first for listing
    std::string id;
    JobState state = JobState::Queued;
    std::string backend;  // configured backend name
    std::string label;
    std::string promptPreview;  // first line(s) of the prompt, short
    std::string workFolder;
    std::string spec;            // JSON: the accepted start arguments (see JobService)
    std::string idempotencyKey;  // "" = none
    std::int64_t createdAt = 0;  // ms since epoch
    std::int64_t claimedAt = 0;  // when a launch slot was taken (0 = never)
    std::int64_t startedAt = 0;  // when the backend launched it (0 = not yet)
    std::int64_t endedAt = 0;
    std::optional<int> exitCode;
    std::string reason;  // one line, set for terminal jobs
    std::string result;  // JSON of the result summary, "" when none
    std::string sessionId;
    std::string handle;  // JSON of the backend's JobHandle, "" until launched
    bool cancelRequested = false;
    int cancelGraceSec = 10;  // the grace the cancel asked for
    JobOwner owner;
    // Not stored: the end shown was decided by this process but is not yet written to the
    // index (another process holds its write lock); it will be.
    bool endPending = false;
    // Not stored: why a running job's process has not started yet, as its backend says
    // (a job waiting in a scheduler's queue); "" when it runs or the backend says nothing.
    std::string waiting;
};

}  // namespace cj::jobs

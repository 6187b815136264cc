// Following the transitions log from a command-line process (events --follow, hook-wait):
// the log is read every kFollowPoll, whoever recorded the change; while following, the
// process also runs the housekeeping pump, so a job's end is recorded even when no server
// is alive to notice it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/jobs/job_index.h"

namespace cj::cli {

constexpr std::chrono::milliseconds kFollowPoll{20};

// Which entries a follower wants: every job, one job, the jobs of one host session.
struct TransitionFilter {
    std::string jobId;    // "" = any
    std::string session;  // "" = any owner
    bool matches(const jobs::Transition& t) const;
};

// Hands every entry after `after` to `each` as it is logged, until `each` or `stop` says
// to stop (each returns false; stop is asked before every read) — or, when not `follow`,
// once the log is read to its end. Returns the last seq read, or the index's error.
claude_jobs::Result<std::int64_t> follow_transitions(
    jobs::JobIndex& index, std::int64_t after, bool follow, const std::function<bool()>& stop,
    const std::function<bool(const jobs::Transition&)>& each);

// The host session a command runs in (CLAUDE_CODE_SESSION_ID), "" when none.
std::string host_session();

}  // namespace cj::cli

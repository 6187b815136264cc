// Job ids on the command line: a whole id, or (as git takes a commit) any prefix that names
// exactly one job. An ambiguous prefix is refused with the candidates; an unknown id with the
// known ids close to it.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"
#include "core/cli/session.h"

namespace cj::cli {

// given among known: the id itself, the one id it starts, InvalidArgument (ambiguous, listing
// candidates) or NotFound ("no such job", with "did you mean").
claude_jobs::Result<std::string> match_job_id(const std::string& given,
                                              const std::vector<std::string>& known);

// The same against every job in the session's index.
claude_jobs::Result<std::string> resolve_job_id(Session& session, const std::string& given);

// Each of several, in place; the first error.
claude_jobs::Result<void> resolve_job_ids(Session& session, std::vector<std::string>& ids);

}  // namespace cj::cli

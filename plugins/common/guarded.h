// guarded(), for the in-tree backends' own methods outside RunnerBackend's (attachCommand,
// sendInput, info): the SDK's, so a third party's backend and ours turn exceptions into
// errors the same way (claude_jobs/guarded.h).
#pragma once

#include "claude_jobs/guarded.h"

namespace cj::plugin_common {

using claude_jobs::guarded;

}  // namespace cj::plugin_common

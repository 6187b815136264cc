// The module's exports: the info struct, factory and deleter the loader looks for.
#include "backend.h"
#include "claude_jobs/plugin.h"

#ifndef TMUX_BACKEND_VERSION
#define TMUX_BACKEND_VERSION "0.0.0"
#endif

CLAUDE_JOBS_BACKEND(cj::tmux::TmuxBackend, "tmux", TMUX_BACKEND_VERSION)

// The module's exports: the info struct, factory and deleter the loader looks for.
#include "backend.h"
#include "claude_jobs/plugin.h"

#ifndef LOCAL_DETACHED_VERSION
#define LOCAL_DETACHED_VERSION "0.0.0"
#endif

CLAUDE_JOBS_BACKEND(cj::local_detached::LocalBackend, "local-detached", LOCAL_DETACHED_VERSION)

// The module's exports: the info struct, factory and deleter the claude-jobs loader reads.
#include <claude_jobs/plugin.h>

#include "backend.h"

#ifndef GENTLE_VERSION
#define GENTLE_VERSION "0.0.0"
#endif

CLAUDE_JOBS_BACKEND(gentle::GentleBackend, "gentle", GENTLE_VERSION)

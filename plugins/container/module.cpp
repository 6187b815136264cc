// The module's exports: the info struct, factory and deleter the loader looks for.
#include "backend.h"
#include "claude_jobs/plugin.h"

#ifndef CONTAINER_BACKEND_VERSION
#define CONTAINER_BACKEND_VERSION "0.0.0"
#endif

CLAUDE_JOBS_BACKEND(cj::container::ContainerBackend, "container", CONTAINER_BACKEND_VERSION)

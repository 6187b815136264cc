// The module's exports: the info struct, factory and deleter the loader looks for.
#include "backend.h"
#include "claude_jobs/plugin.h"

#ifndef SLURM_BACKEND_VERSION
#define SLURM_BACKEND_VERSION "0.0.0"
#endif

CLAUDE_JOBS_BACKEND(cj::slurm::SlurmBackend, "slurm", SLURM_BACKEND_VERSION)

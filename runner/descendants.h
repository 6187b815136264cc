// The runner's own children. The runner is a child subreaper (PR_SET_CHILD_SUBREAPER): every
// process of the job whose parent ends — a tool's daemon that forked twice, a child that
// called setsid and left the job's process group — is reparented to the runner instead of to
// init, so at the end the runner finds each remaining process of the job among its children
// (or, after ending those, among theirs). A child's pid cannot name another process until
// the runner has reaped it, so signalling one never hits a stranger.
#pragma once

#include <sys/types.h>

#include <vector>

namespace cj::runner {

// Makes this process a child subreaper; false (errno set) where the kernel refuses.
bool become_subreaper();

// The pids of this process's children, running or not yet reaped; from
// /proc/self/task/<tid>/children, or a scan of /proc where the kernel lacks those files.
std::vector<pid_t> child_pids();

}  // namespace cj::runner

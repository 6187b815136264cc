// Starting the job's program (PROGRAM ARGS...) as the leader of its own process group, with
// the job's files as its stdio and nothing else inherited.
#pragma once

#include <sys/types.h>

#include "runner/options.h"

namespace cj::runner {

struct ChildStdio {
    int in = -1;              // prompt.txt (the terminal with --terminal)
    int out = -1;             // events.jsonl (ditto)
    int err = -1;             // stderr.log (ditto)
    bool foreground = false;  // make the child's group the foreground group of terminal `in`
};

// Where a launch went wrong; the child reports Chdir, Stdio and Exec through a pipe.
enum class LaunchStage : int { None, Pipe, Fork, Chdir, Stdio, Exec };

struct LaunchResult {
    pid_t pid = -1;  // the running child, also its process group id; -1 on failure
    LaunchStage failedAt = LaunchStage::None;
    int error = 0;  // errno of the failure
};

// Forks and execs. The child enters the folder open as workFolderFd (fchdir; -1 stays where
// the runner is). Returns once the program has been exec'd (or has failed to be). A child
// that failed has already been reaped.
LaunchResult launch_child(const Options& options, const ChildStdio& stdio, int workFolderFd);

// Closes every descriptor from 3 up except keep (-1 for none). Async-signal-safe, so it can
// run between fork and exec. maxFd bounds the last-resort loop; get it from fd_limit().
void close_descriptors_from_3(int keep, int maxFd);
int fd_limit();

}  // namespace cj::runner

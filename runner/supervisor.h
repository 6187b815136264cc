// Watching a launched job until nothing of it is left: enforces the time limit, turns the
// runner's termination signals into a cancel of the whole process group, and ends whatever
// the program left behind in its group when it exits.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "runner/options.h"

namespace cj::runner {

// Blocks the signals the runner acts on (SIGTERM, SIGINT, SIGHUP, SIGCHLD) and returns a
// signalfd for them, or -1 with errno set. Called first thing, so a cancel sent while the
// runner is starting up waits for the child to exist instead of being lost.
int open_signal_fd();

struct SupervisionResult {
    int waitStatus = 0;  // the program's, as waitpid reported it
    bool cancelled = false;
    bool timedOut = false;
};

// Single-threaded; owns neither descriptor. The child must lead its own process group.
class Supervisor {
  public:
    Supervisor(const Options& options, int signalFd, int dirFd, pid_t child,
               std::int64_t startedMonotonicMs);

    // Returns once the program has exited and its process group is empty (or, after SIGKILL,
    // a bounded wait for it to empty has passed).
    SupervisionResult run();

  private:
    void wait_for_events(int timeoutMs);
    void on_termination_signal();
    void begin_ending(std::int64_t graceMs);
    void kill_group(int signal);
    void check_deadlines();
    int ms_until_next_deadline() const;
    void reap();
    bool group_is_empty();
    void end_leftovers();

    const Options& options_;
    int signalFd_;
    int dirFd_;
    pid_t child_;  // also the process group id
    std::int64_t startedMonotonicMs_;

    bool childDone_ = false;
    int waitStatus_ = 0;
    bool cancelled_ = false;
    bool timedOut_ = false;
    bool ending_ = false;  // SIGTERM has gone to the group
    bool killed_ = false;  // SIGKILL has gone to the group
    std::int64_t killAtMs_ = 0;
};

}  // namespace cj::runner

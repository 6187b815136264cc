// Watching a launched job until nothing of it is left: enforces the time limit, turns the
// runner's termination signals into a cancel of the whole job, and ends whatever the program
// left behind when it exits. "The whole job" is the program's process group and every other
// process descended from the runner: the runner is a child subreaper (descendants.h), so a
// process that left the group (setsid, a double fork) is reparented to it once its parent
// ends, and is ended with the rest.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

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
    bool noSpaceLeft = false;  // the job folder's filesystem was full when the program exited
};

// Single-threaded; owns neither descriptor. The child must lead its own process group.
class Supervisor {
  public:
    Supervisor(const Options& options, int signalFd, int dirFd, pid_t child,
               std::int64_t startedMonotonicMs);

    // Returns once the program has exited and no process of the job is left: its group is
    // empty and the runner has no child (or, after SIGKILL, a bounded wait for that has
    // passed). Every child is reaped.
    SupervisionResult run();

  private:
    void wait_for_events(int timeoutMs);
    void on_termination_signal();
    void begin_ending(std::int64_t graceMs);
    void kill_group(int signal);
    void signal_children(int signal);
    void kill_everything();
    void check_deadlines();
    int ms_until_next_deadline() const;
    bool reap();
    bool nothing_left();
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
    bool noSpaceLeft_ = false;
    bool ending_ = false;  // SIGTERM has gone to the group
    bool killed_ = false;  // SIGKILL has gone to the group
    std::int64_t killAtMs_ = 0;
    std::vector<pid_t> warned_;  // children already sent SIGTERM (each is told once)
};

}  // namespace cj::runner

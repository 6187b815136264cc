// Starting a job's supervisor (see launch.h). The server is large and multi-threaded, so it
// never forks itself: posix_spawn (through the process seam) is a vfork-style clone that
// returns once the exec has happened.
#include "launch.h"

#include <cerrno>
#include <cstring>

#include "claude_jobs/process_identity.h"

namespace cj::local_detached {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

}  // namespace

claude_jobs::Result<Launched> launch_detached(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              ChildReaper& reaper) {
    // stdio on /dev/null, nothing else the server had open (CLOEXEC or not; the runner closes
    // them too), working folder "/" (the supervisor is told where to run), default signal
    // handling, and its own session: no terminal's hangup or Ctrl-C reaches it.
    pid_t pid = cj::plugin_common::spawn_detached(argv, env);
    if (pid < 0) {
        int rc = errno;
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + argv[0] + ": " + std::strerror(rc),
                          rc, rc == EAGAIN || rc == ENOMEM);
    }
    reaper.adopt(pid);
    // Read while the process is certainly there: it is our child, so even after an exit its
    // pid stays reserved (a zombie) until the reaper collects it.
    auto stat = claude_jobs::read_proc_stat(pid);
    if (!stat) {
        return make_error(ErrorCode::Internal, "the job's supervisor (pid " + std::to_string(pid) +
                                                   ") vanished before it could be identified");
    }
    return Launched{pid, stat->startTime};
}

}  // namespace cj::local_detached

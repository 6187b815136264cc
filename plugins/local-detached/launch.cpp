// Starting a job's supervisor (see launch.h). The server is large and multi-threaded, so it
// never forks itself: posix_spawn is a vfork-style clone that returns once the exec has
// happened, and does in the child only what the attributes below ask for.
#include "launch.h"

#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/process_identity.h"

namespace cj::local_detached {

namespace {

using cj::plugin_common::read_proc_stat;
using cj::plugin_common::SpawnSetup;
using cj::plugin_common::to_pointers;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;

}  // namespace

claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              ChildReaper& reaper) {
    std::vector<char*> argvPointers = to_pointers(argv);
    std::vector<char*> envPointers = to_pointers(env);

    SpawnSetup setup;
    // stdio on /dev/null, nothing else the server had open (CLOEXEC or not; the runner closes
    // them too), working folder "/" (the supervisor is told where to run), default signal
    // handling, and its own session: no terminal's hangup or Ctrl-C reaches it.
    setup.detach();

    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), envPointers.data());
    if (rc != 0) {
        return make_error(ErrorCode::Unavailable,
                          "cannot run claude-jobs-runner at " + program + ": " + std::strerror(rc),
                          rc, rc == EAGAIN || rc == ENOMEM);
    }
    reaper.adopt(pid);
    // Read while the process is certainly there: it is our child, so even after an exit its
    // pid stays reserved (a zombie) until the reaper collects it.
    auto stat = read_proc_stat(pid);
    if (!stat) {
        return make_error(ErrorCode::Internal, "the job's supervisor (pid " + std::to_string(pid) +
                                                   ") vanished before it could be identified");
    }
    return Launched{pid, stat->startTime};
}

}  // namespace cj::local_detached

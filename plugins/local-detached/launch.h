// Starting a job's supervisor detached from the server: its own session, stdio on /dev/null,
// no inherited descriptors, default signal handling, its working folder "/". It stays the
// server's child only in name: it outlives the server (and is then reparented), and the
// ChildReaper collects its exit status so no zombie is left while the server lives.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::local_detached {

// Waits for the supervisors this process started, about once a second, on a thread of its
// own that runs only while there are some. Thread-safe.
class ChildReaper {
  public:
    ChildReaper() = default;
    ~ChildReaper();
    ChildReaper(const ChildReaper&) = delete;
    ChildReaper& operator=(const ChildReaper&) = delete;

    void adopt(pid_t pid);
    // Collects whichever have exited, now; the thread does the same on its own.
    void reap();

  private:
    void loop();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<pid_t> children_;
    bool stopping_ = false;
    std::thread thread_;
};

struct Launched {
    pid_t pid = 0;
    std::uint64_t startTime = 0;  // /proc/<pid>/stat field 22
};

// Runs program (an absolute path) with argv (argv[0] included) and exactly the environment env
// ("NAME=value"). Returns once the program has been exec'd, with its pid, which `reaper`
// adopts. Errors: Unavailable when the program cannot be executed (naming it and the reason),
// Internal when the process cannot be created.
claude_jobs::Result<Launched> launch_detached(const std::string& program,
                                              const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              ChildReaper& reaper);

}  // namespace cj::local_detached

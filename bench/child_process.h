// A command-line child of the benchmark (claude-jobs events, hook-wait): argv, stdin text,
// stdout read line by line with the wall-clock time each line arrived, and its exit time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cj::bench {

class ChildProcess {
  public:
    // stdin: the text written to the child's stdin, then closed (nullopt: /dev/null).
    // extraEnv: NAME=value entries added to the benchmark's environment.
    ChildProcess(const std::vector<std::string>& argv, const std::optional<std::string>& stdinText,
                 const std::vector<std::string>& extraEnv = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next stdout line and when it arrived (wall ns); nullopt on EOF or timeout.
    std::optional<std::pair<std::string, std::int64_t>> line(std::chrono::milliseconds timeout);
    // Waits for the exit; its status and when it was noticed (wall ns); nullopt on timeout.
    std::optional<std::pair<int, std::int64_t>> wait(std::chrono::milliseconds timeout);
    void terminate();

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string buffer_;
    bool reaped_ = false;
};

}  // namespace cj::bench

// Runs the built claude-jobs binary as a command-line child (not over MCP): arguments,
// environment changes, stdin text, working folder; collects stdout, stderr and the exit
// status, bounded in time. Used by the command-line tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cj::testing {

struct CliOptions {
    std::map<std::string, std::optional<std::string>> env;  // nullopt = remove the variable
    std::optional<std::string> input;                       // stdin text; else /dev/null
    std::string cwd;
};

// A status above this is a death by signal (kKilledBySignal + the signal number).
constexpr int kKilledBySignal = 1000;

struct CliResult {
    int status = -1;  // exit status; -1 when it did not end in time (it is then killed)
    std::string out;
    std::string err;
};

class CliProcess {
  public:
    CliProcess(const std::vector<std::string>& args, const CliOptions& options = {});
    ~CliProcess();
    CliProcess(const CliProcess&) = delete;

    // Output so far.
    std::string out_so_far();
    bool running();
    // Waits for the end (killing it after timeout) and returns everything.
    CliResult finish(std::chrono::milliseconds timeout = std::chrono::seconds(60));
    pid_t pid() const { return pid_; }

  private:
    void read_loop();
    pid_t pid_ = -1;
    int outFd_ = -1;
    int errFd_ = -1;
    std::thread reader_;
    std::mutex mutex_;
    std::string out_;
    std::string err_;
    bool reaped_ = false;
    int status_ = -1;
};

// Runs to the end.
CliResult run_cli(const std::vector<std::string>& args, const CliOptions& options = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace cj::testing

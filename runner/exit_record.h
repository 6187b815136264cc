// The job's exit record (exit.json): how the job ended, written once by the runner and read by
// the server to settle the job's state and reason (SPEC §3.2, §3.4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cj::runner {

struct ExitRecord {
    std::optional<int> exitCode;  // when the program exited by itself
    std::optional<int> signal;    // when a signal ended it
    bool timedOut = false;
    bool cancelled = false;
    std::optional<std::string> launchError;  // the program never ran; also the reason
    std::int64_t startedAt = 0;              // ms since the Unix epoch
    std::int64_t endedAt = 0;
    std::int64_t timeoutMs = 0;  // the limit it ran past, for the reason
};

// One line for a person: "exit code 3", "killed by SIGKILL", "ran past 30 s", "cancelled",
// or the launch error.
std::string exit_reason(const ExitRecord& record);

std::string exit_record_json(const ExitRecord& record);

// The runner's own exit status once the program ran: its code, or 128+signal when killed.
int runner_exit_status(const ExitRecord& record);

// "SIGKILL"; "SIG42" for a signal without a name.
std::string signal_name(int signal);

}  // namespace cj::runner

// How the runner words and reports a job's end. The record itself (exit.json) is the job
// folder's ExitRecord (claude_jobs/job_folder.h), written once by the runner and read by the
// server to settle the job's state and reason (SPEC §3.2, §3.4).
#pragma once

#include <cstdint>
#include <string>

#include "claude_jobs/job_folder.h"

namespace cj::runner {

using ExitRecord = claude_jobs::job_folder::ExitRecord;

// What a record's reason says when the job folder's filesystem was full at the end.
inline constexpr char kNoSpaceText[] = "no space left on device";

// One line for a person: "exit code 3", "killed by SIGKILL", "ran past 30 s" (timeoutMs is the
// limit it ran past), "cancelled", or the launch error; "exit code 1; no space left on device"
// when the record says the disk was full.
std::string exit_reason(const ExitRecord& record, std::int64_t timeoutMs);

// The runner's own exit status once the program ran: its code, or 128+signal when killed.
int runner_exit_status(const ExitRecord& record);

}  // namespace cj::runner

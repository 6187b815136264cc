// The runner's side of the job folder (SPEC §3.4): every file is opened relative to the
// folder, 0600, without following a final symlink, close-on-exec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cj::runner {

// File names inside the job folder, shared with the server.
inline constexpr const char* kPromptFile = "prompt.txt";
inline constexpr const char* kEventsFile = "events.jsonl";
inline constexpr const char* kStderrFile = "stderr.log";
inline constexpr const char* kRunnerFile = "runner.json";
inline constexpr const char* kExitFile = "exit.json";
inline constexpr const char* kCancelFile = "cancel.json";

// The job folder as a descriptor; -1 with errno set on failure.
int open_job_dir(const std::string& path);

// prompt.txt for reading; -1 with errno set on failure.
int open_prompt(int dirFd);

// A log file for appending, created 0600 if missing; -1 with errno set on failure.
int open_log(int dirFd, const char* name);

// Replaces dirFd/name with content as one step (temp file, fsync, rename, fsync of the folder),
// so a reader sees the old file or the whole new one. Returns 0 or an errno value.
int write_file_atomically(int dirFd, const char* name, const std::string& content);

// The grace period a backend asked for in cancel.json, or nullopt when the file is missing or
// says nothing usable.
std::optional<std::int64_t> read_cancel_grace_ms(int dirFd);

}  // namespace cj::runner

// The runner's side of the job folder (SPEC §3.4): the folder and the job's stdio files. Every
// file is opened relative to the folder, 0600, without following a final symlink,
// close-on-exec. The file names and the records are the job folder's contract
// (claude_jobs/job_folder.h).
#pragma once

#include <string>

namespace cj::runner {

// The job folder as a descriptor; -1 with errno set on failure.
int open_job_dir(const std::string& path);

// prompt.txt for reading; -1 with errno set on failure.
int open_prompt(int dirFd);

// A log file for appending, created 0600 if missing; -1 with errno set on failure.
int open_log(int dirFd, const char* name);

}  // namespace cj::runner

// Opening the job folder and the job's stdio files (see job_files.h).
#include "runner/job_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "claude_jobs/job_folder.h"

namespace cj::runner {

namespace {

constexpr int kFileFlags = O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kFileMode = 0600;

}  // namespace

int open_job_dir(const std::string& path) {
    return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int open_prompt(int dirFd) {
    return ::openat(dirFd, claude_jobs::job_folder::kPromptFile, O_RDONLY | kFileFlags);
}

int open_log(int dirFd, const char* name) {
    return ::openat(dirFd, name, O_WRONLY | O_CREAT | O_APPEND | kFileFlags, kFileMode);
}

}  // namespace cj::runner

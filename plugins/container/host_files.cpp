// Host-side files of a container job (see host_files.h).
#include "host_files.h"

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "claude_jobs/job_folder.h"
#include "common/files.h"

namespace cj::container {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

using cj::plugin_common::write_all;

}  // namespace

UserIds parse_user(const std::string& user) {
    auto colon = user.find(':');
    auto uid = static_cast<uid_t>(std::strtoul(user.substr(0, colon).c_str(), nullptr, 10));
    auto gid = colon == std::string::npos
                   ? static_cast<gid_t>(uid)
                   : static_cast<gid_t>(std::strtoul(user.substr(colon + 1).c_str(), nullptr, 10));
    return {uid, gid};
}

Result<void> hand_job_dir_to(const std::string& jobDir, const UserIds& ids) {
    if (ids.uid == ::geteuid()) return {};
    if (ids.uid == 0) return {};  // root in the container writes anywhere
    if (::geteuid() != 0) {
        return make_error(ErrorCode::InvalidArgument,
                          "the container user " + std::to_string(ids.uid) + ":" +
                              std::to_string(ids.gid) +
                              " is not the server's own: only a server running as root can "
                              "give it the job's folder; leave \"user\" unset");
    }
    int dir = ::open(jobDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
        int error = errno;
        return make_error(ErrorCode::Internal,
                          "cannot open the job folder " + jobDir + ": " + std::strerror(error),
                          error);
    }
    bool ok = ::fchown(dir, ids.uid, ids.gid) == 0;
    for (const char* name :
         {claude_jobs::job_folder::kPromptFile, claude_jobs::job_folder::kEventsFile,
          claude_jobs::job_folder::kStderrFile}) {
        int fd = ::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        ok = ::fchown(fd, ids.uid, ids.gid) == 0 && ok;
        ::close(fd);
    }
    int error = errno;
    ::close(dir);
    if (!ok)
        return make_error(ErrorCode::Internal,
                          "cannot give the job folder to the container user: " +
                              std::string(std::strerror(error)),
                          error);
    return {};
}

Result<void> EnvFile::write(const std::string& stateDir, const std::string& jobId,
                            const std::string& text) {
    std::string dir = stateDir + "/container-env";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        int error = errno;
        return make_error(ErrorCode::Internal, "cannot create " + dir + ": " + std::strerror(error),
                          error);
    }
    struct stat info {};
    if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid() ||
        (info.st_mode & 077) != 0) {
        return make_error(ErrorCode::Internal,
                          dir + " must be a folder of the server's user, private to it");
    }
    path_ = dir + "/" + jobId + ".env";
    ::unlink(path_.c_str());  // left by a server that died mid-launch
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int error = errno;
        path_.clear();
        return make_error(ErrorCode::Internal,
                          "cannot write the job's env file: " + std::string(std::strerror(error)),
                          error);
    }
    bool ok = write_all(fd, text);
    ok = ::close(fd) == 0 && ok;
    if (!ok) return make_error(ErrorCode::Internal, "cannot write the job's env file");
    return {};
}

EnvFile::~EnvFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace cj::container

namespace cj::container {

namespace {

// "gitdir: <path>" from a worktree's .git file, made absolute against its folder.
std::string worktree_git_dir(const std::filesystem::path& dotGit) {
    std::ifstream in(dotGit);
    std::string line;
    if (!std::getline(in, line) || line.rfind("gitdir: ", 0) != 0) return {};
    std::filesystem::path dir = line.substr(8);
    if (dir.is_relative()) dir = dotGit.parent_path() / dir;
    std::error_code ec;
    auto real = std::filesystem::canonical(dir, ec);
    return ec ? std::string() : real.string();
}

// The repository's own git folder a worktree's git dir names in its `commondir` file.
std::string common_git_dir(const std::string& gitDir) {
    std::ifstream in(gitDir + "/commondir");
    std::string line;
    std::filesystem::path common = gitDir;
    if (std::getline(in, line) && !line.empty())
        common = std::filesystem::path(line).is_relative() ? common / line : std::filesystem::path(line);
    std::error_code ec;
    auto real = std::filesystem::canonical(common, ec);
    return ec ? std::string() : real.string();
}

}  // namespace

std::vector<std::string> git_folders_for(const std::string& workFolder) {
    std::error_code ec;
    for (std::filesystem::path dir = workFolder;; dir = dir.parent_path()) {
        auto dotGit = dir / ".git";
        auto status = std::filesystem::symlink_status(dotGit, ec);
        if (!ec && std::filesystem::is_directory(status))
            return dir == workFolder ? std::vector<std::string>{}
                                     : std::vector<std::string>{dotGit.string()};
        if (!ec && std::filesystem::is_regular_file(status)) {
            std::vector<std::string> out;
            if (dir != workFolder) out.push_back(dir.string());
            std::string gitDir = worktree_git_dir(dotGit);
            std::string common = gitDir.empty() ? "" : common_git_dir(gitDir);
            if (!common.empty()) out.push_back(common);
            return out;
        }
        if (dir == dir.parent_path()) return {};
    }
}

}  // namespace cj::container

// Reading runner.json and writing cancel.json (see runner_files.h).
#include "common/runner_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/json_fields.h"
#include "common/process_identity.h"

namespace cj::plugin_common {

namespace {

using Json = nlohmann::json;

// runner.json holds a few numbers and names; anything larger is not the runner's.
constexpr off_t kMaxRunnerRecordBytes = 64 * 1024;

// Opens the job's folder itself, never a symlink planted in its place.
int open_job_dir(const std::string& jobDir) {
    return ::open(jobDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

}  // namespace

bool decode_runner_record(const std::string& text, RunnerRecord& out, std::string& why) {
    Json json = Json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        why = "not a JSON object";
        return false;
    }
    RunnerRecord record;
    std::int64_t childStart = 0;
    // Pids 0 and 1 and negative ones would make a later kill() hit a group, init or everyone.
    if (!read_int(json, "childPgid", 2, record.childPgid, why) ||
        !read_int(json, "childPid", 2, record.childPid, why) ||
        !read_int(json, "childStartTime", 0, childStart, why)) {
        return false;
    }
    record.childStartTime = static_cast<std::uint64_t>(childStart);
    // The runner's own identity is optional for readers that only need the child.
    std::string ignored;
    std::int64_t runnerStart = 0;
    if (read_int(json, "runnerPid", 2, record.runnerPid, ignored) &&
        read_int(json, "runnerStartTime", 0, runnerStart, ignored)) {
        record.runnerStartTime = static_cast<std::uint64_t>(runnerStart);
    } else {
        record.runnerPid = 0;
    }
    if (auto it = json.find("bootId"); it != json.end() && it->is_string())
        record.bootId = it->get<std::string>();
    out = std::move(record);
    return true;
}

bool read_runner_record(const std::string& jobDir, RunnerRecord& record) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    int fd = ::openat(dir, "runner.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ::close(dir);
    if (fd < 0) return false;
    std::string text;
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size <= kMaxRunnerRecordBytes) {
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
            if (text.size() > static_cast<std::size_t>(kMaxRunnerRecordBytes)) break;
        }
    }
    ::close(fd);
    std::string why;
    return !text.empty() && decode_runner_record(text, record, why);
}

std::string encode_cancel_request(int graceSec) {
    return Json{{"graceSec", graceSec}}.dump();
}

bool write_cancel_request(const std::string& jobDir, int graceSec, mode_t mode) {
    static std::atomic<unsigned> sequence{0};
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    std::string temp = "cancel.json." + std::to_string(::getpid()) + "." +
                       std::to_string(sequence.fetch_add(1)) + ".tmp";
    int fd =
        ::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    bool ok = fd >= 0;
    if (ok) {
        ok = write_all(fd, encode_cancel_request(graceSec));
        ok = ::close(fd) == 0 && ok;
        ok = ok && ::renameat(dir, temp.c_str(), dir, "cancel.json") == 0;
        if (!ok) ::unlinkat(dir, temp.c_str(), 0);
    }
    ::close(dir);
    return ok;
}

bool cancel_requested(const std::string& jobDir) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    struct stat info {};
    bool found = ::fstatat(dir, "cancel.json", &info, AT_SYMLINK_NOFOLLOW) == 0;
    ::close(dir);
    return found;
}

void kill_abandoned_job(const std::string& jobDir) {
    RunnerRecord record;
    if (!read_runner_record(jobDir, record)) return;
    auto stat = read_proc_stat(static_cast<pid_t>(record.childPid));
    if (!stat || stat->pgrp != record.childPgid) return;
    if (!is_same_process(static_cast<pid_t>(record.childPid), record.childStartTime)) return;
    ::kill(-static_cast<pid_t>(record.childPgid), SIGKILL);
}

}  // namespace cj::plugin_common

// The job folder's names, the runner's command line and the records' one reader and writer
// (see job_folder.h).
#include "claude_jobs/job_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "flat_json.h"

namespace claude_jobs::job_folder {

namespace {

using flat_json::Object;

constexpr int kFileFlags = O_NOFOLLOW | O_CLOEXEC;
// runner.json and exit.json hold a few numbers and names; cancel.json one number. Anything
// larger is not theirs.
constexpr std::size_t kMaxRecordBytes = 64 * 1024;
constexpr std::size_t kMaxCancelBytes = 4096;

// Returns 0 or an errno value.
int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;  // a stop/continue can interrupt a write to a slow disk
            return errno;
        }
        if (n == 0) return EIO;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

std::optional<std::string> read_record(const std::string& jobDir, const char* name,
                                       std::size_t maxBytes) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return std::nullopt;
    auto text = read_small_file(dir, name, maxBytes);
    ::close(dir);
    return text;
}

std::optional<int> small_int(const Object& object, const char* key) {
    auto value = object.integer(key);
    if (!value || *value < INT_MIN || *value > INT_MAX) return std::nullopt;
    return static_cast<int>(*value);
}

// object[key] as an integer of at least min; false with a reason naming the key otherwise.
bool read_int(const Object& object, const char* key, std::int64_t min, std::int64_t& out,
              std::string& why) {
    auto value = object.integer(key);
    if (!value) {
        why = std::string("\"") + key + "\" is missing or not an integer";
        return false;
    }
    if (*value < min) {
        why = std::string("\"") + key + "\" must be at least " + std::to_string(min);
        return false;
    }
    out = *value;
    return true;
}

}  // namespace

bool valid_job_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(id.front())) return false;
    for (char c : id)
        if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

// ---- The runner's command line -------------------------------------------------------------

RunnerCommand RunnerCommand::for_job(const JobSpec& spec, const std::string& runnerPath) {
    RunnerCommand command;
    command.runner = runnerPath;
    command.jobDir = spec.jobDir;
    command.workFolder = spec.workFolder;
    command.timeoutSec = spec.timeoutSec;
    command.program = spec.claudePath;
    command.args = spec.claudeArgs;
    return command;
}

std::vector<std::string> RunnerCommand::argv() const {
    std::vector<std::string> argv;
    argv.reserve(12 + args.size());
    if (!runner.empty()) argv.push_back(runner);
    if (niceness > 0) argv.insert(argv.end(), {kNiceOption, std::to_string(niceness)});
    argv.insert(argv.end(), {kJobDirOption, jobDir, kCwdOption, workFolder, kTimeoutOption,
                             std::to_string(timeoutSec)});
    if (terminal) argv.push_back(kTerminalOption);
    argv.push_back(kEndOfOptions);
    argv.push_back(program);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// ---- runner.json -----------------------------------------------------------------------------

std::string encode_runner_record(const RunnerRecord& record) {
    return flat_json::Writer()
               .add_int("runnerPid", record.runnerPid)
               .add_uint("runnerStartTime", record.runnerStartTime)
               .add_string("bootId", record.bootId)
               .add_int("childPid", record.childPid)
               .add_int("childPgid", record.childPgid)
               .add_uint("childStartTime", record.childStartTime)
               .add_string("program", record.program)
               .add_int("startedAt", record.startedAt)
               .str() +
           "\n";
}

bool decode_runner_record(std::string_view text, RunnerRecord& out, std::string& why) {
    auto object = Object::parse(text, why);
    if (!object) return false;
    RunnerRecord record;
    std::int64_t childStart = 0;
    // Pids 0 and 1 and negative ones would make a later kill() hit a group, init or everyone.
    if (!read_int(*object, "childPgid", 2, record.childPgid, why) ||
        !read_int(*object, "childPid", 2, record.childPid, why) ||
        !read_int(*object, "childStartTime", 0, childStart, why)) {
        return false;
    }
    record.childStartTime = static_cast<std::uint64_t>(childStart);
    // The runner's own identity is optional for readers that only need the child.
    std::string ignored;
    std::int64_t runnerStart = 0;
    if (read_int(*object, "runnerPid", 2, record.runnerPid, ignored) &&
        read_int(*object, "runnerStartTime", 0, runnerStart, ignored)) {
        record.runnerStartTime = static_cast<std::uint64_t>(runnerStart);
    } else {
        record.runnerPid = 0;
    }
    record.bootId = object->string("bootId").value_or("");
    record.program = object->string("program").value_or("");
    record.startedAt = object->integer("startedAt").value_or(0);
    out = std::move(record);
    return true;
}

bool read_runner_record(const std::string& jobDir, RunnerRecord& out) {
    auto text = read_record(jobDir, kRunnerFile, kMaxRecordBytes);
    std::string why;
    return text && decode_runner_record(*text, out, why);
}

// ---- exit.json -------------------------------------------------------------------------------

std::string signal_name(int signal) {
    const char* abbrev = ::sigabbrev_np(signal);
    return std::string("SIG") + (abbrev != nullptr ? abbrev : std::to_string(signal).c_str());
}

std::string encode_exit_record(const ExitRecord& record) {
    flat_json::Writer json;
    if (record.exitCode) {
        json.add_int("exitCode", *record.exitCode);
    } else {
        json.add_null("exitCode");
    }
    if (record.signal) {
        json.add_int("signal", *record.signal)
            .add_string("signalName", record.signalName.empty() ? signal_name(*record.signal)
                                                                : record.signalName);
    } else {
        json.add_null("signal").add_null("signalName");
    }
    json.add_bool("timedOut", record.timedOut).add_bool("cancelled", record.cancelled);
    if (!record.launchError.empty()) {
        json.add_string("launchError", record.launchError);
    } else {
        json.add_null("launchError");
    }
    json.add_int("startedAt", record.startedAt)
        .add_int("endedAt", record.endedAt)
        .add_string("reason", record.reason)
        .add_bool("noSpaceLeft", record.noSpaceLeft);
    return json.str() + "\n";
}

std::optional<ExitRecord> decode_exit_record(std::string_view text) {
    std::string why;
    auto object = Object::parse(text, why);
    if (!object) return std::nullopt;
    ExitRecord record;
    record.exitCode = small_int(*object, "exitCode");
    record.signal = small_int(*object, "signal");
    record.signalName = object->string("signalName").value_or("");
    record.timedOut = object->boolean("timedOut").value_or(false);
    record.cancelled = object->boolean("cancelled").value_or(false);
    record.launchError = object->string("launchError").value_or("");
    record.startedAt = object->integer("startedAt").value_or(0);
    record.endedAt = object->integer("endedAt").value_or(0);
    record.reason = object->string("reason").value_or("");
    record.noSpaceLeft = object->boolean("noSpaceLeft").value_or(false);
    return record;
}

std::optional<ExitRecord> read_exit_record(const std::string& jobDir) {
    auto text = read_record(jobDir, kExitFile, kMaxRecordBytes);
    if (!text) return std::nullopt;
    return decode_exit_record(*text);
}

// ---- cancel.json -------------------------------------------------------------------------

std::string encode_cancel_request(int graceSec) {
    return flat_json::Writer().add_int("graceSec", graceSec < 0 ? 0 : graceSec).str();
}

std::optional<std::int64_t> decode_cancel_request(std::string_view text) {
    std::string why;
    auto object = Object::parse(text, why);
    if (!object) return std::nullopt;
    const flat_json::Value* grace = object->find("graceSec");
    if (!grace || grace->kind != flat_json::Kind::Number) return std::nullopt;
    return flat_json::seconds_to_ms(grace->text, kMaxGraceSec);
}

bool write_cancel_request(const std::string& jobDir, int graceSec, std::uint32_t fileMode) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    int err = write_file_atomically(dir, kCancelFile, encode_cancel_request(graceSec), fileMode,
                                    /*durable=*/false);
    ::close(dir);
    return err == 0;
}

std::optional<std::int64_t> read_cancel_request(int dirFd) {
    auto text = read_small_file(dirFd, kCancelFile, kMaxCancelBytes);
    if (!text) return std::nullopt;
    return decode_cancel_request(*text);
}

bool cancel_requested(const std::string& jobDir) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    struct stat info {};
    bool found = ::fstatat(dir, kCancelFile, &info, AT_SYMLINK_NOFOLLOW) == 0;
    ::close(dir);
    return found;
}

// ---- Files -----------------------------------------------------------------------------------

int open_job_dir(const std::string& jobDir) {
    return ::open(jobDir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int write_file_atomically(int dirFd, const char* name, std::string_view content,
                          std::uint32_t fileMode, bool durable) {
    static std::atomic<unsigned> sequence{0};
    // A name of its own per writer, so two writers never share (or truncate) a temporary file.
    std::string temp = std::string(".") + name + "." + std::to_string(::getpid()) + "." +
                       std::to_string(sequence.fetch_add(1)) + ".tmp";
    int fd = ::openat(dirFd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | kFileFlags,
                      static_cast<mode_t>(fileMode));
    if (fd < 0) return errno;
    int err = write_all(fd, content);
    if (err == 0 && durable && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err == 0 && ::renameat(dirFd, temp.c_str(), dirFd, name) != 0) err = errno;
    if (err != 0) {
        ::unlinkat(dirFd, temp.c_str(), 0);
        return err;
    }
    // Without this the rename itself may not survive a crash, leaving no record at all.
    if (durable && ::fsync(dirFd) != 0) return errno;
    return 0;
}

bool append_line(const std::string& jobDir, const char* name, std::string_view line) {
    int dir = open_job_dir(jobDir);
    if (dir < 0) return false;
    int fd = ::openat(dir, name, O_WRONLY | O_APPEND | O_CREAT | kFileFlags, 0600);
    ::close(dir);
    if (fd < 0) return false;
    std::string text;
    text.reserve(line.size() + 1);
    text.append(line).push_back('\n');
    ssize_t n;
    do {
        n = ::write(fd, text.data(), text.size());
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    return n == static_cast<ssize_t>(text.size());
}

std::optional<std::string> read_small_file(int dirFd, const char* name, std::size_t maxBytes) {
    int fd = ::openat(dirFd, name, O_RDONLY | kFileFlags);
    if (fd < 0) return std::nullopt;
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) ||
        static_cast<std::uint64_t>(info.st_size) > maxBytes) {
        ::close(fd);
        return std::nullopt;
    }
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        // The file may grow after fstat: never hold more than was promised.
        if (text.size() > maxBytes) {
            ::close(fd);
            return std::nullopt;
        }
    }
    ::close(fd);
    return text;
}

// ---- Space -----------------------------------------------------------------------------------

namespace {

FolderSpace space_of(const struct statvfs& fs) {
    // Root may also write into the blocks and inodes reserved for it.
    bool root = ::geteuid() == 0;
    std::uint64_t unit = fs.f_frsize != 0 ? fs.f_frsize : fs.f_bsize;
    FolderSpace space;
    space.availableBytes = static_cast<std::uint64_t>(root ? fs.f_bfree : fs.f_bavail) * unit;
    space.totalBytes = static_cast<std::uint64_t>(fs.f_blocks) * unit;
    space.inodesCounted = fs.f_files != 0;
    space.availableInodes = static_cast<std::uint64_t>(root ? fs.f_ffree : fs.f_favail);
    return space;
}

}  // namespace

std::optional<FolderSpace> folder_space(int dirFd) {
    struct statvfs fs {};
    if (::fstatvfs(dirFd, &fs) != 0) return std::nullopt;
    return space_of(fs);
}

std::optional<FolderSpace> folder_space(const std::string& path) {
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
    return space_of(fs);
}

bool no_space_left(const FolderSpace& space) {
    return space.availableBytes < kNoSpaceBytes ||
           (space.inodesCounted && space.availableInodes == 0);
}

}  // namespace claude_jobs::job_folder

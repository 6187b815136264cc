#include "core/cli/program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

namespace {
constexpr std::size_t kMaxOutput = 64 << 10;

bool executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}
}  // namespace

std::string find_program(const std::string& name, const std::string& path) {
    if (name.empty()) return {};
    if (name.find('/') != std::string::npos) return executable_file(name) ? name : "";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        if (!dir.empty() && dir[0] == '/') {  // relative PATH entries depend on the cwd: skip
            std::string candidate = dir + "/" + name;
            if (executable_file(candidate)) return candidate;
        }
        start = end + 1;
    }
    return {};
}

claude_jobs::Result<ProgramResult> run_program(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds limit) {
    if (argv.empty()) return make_error(ErrorCode::InvalidArgument, "no program");
    const char* pathEnv = std::getenv("PATH");
    std::string program = find_program(argv[0], pathEnv ? pathEnv : "/usr/bin:/bin");
    if (program.empty()) return make_error(ErrorCode::NotFound, argv[0] + ": not found");
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0)
        return make_error(ErrorCode::Internal, std::string("pipe: ") + std::strerror(errno), errno);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipeFds[1]);
    if (rc != 0) {
        ::close(pipeFds[0]);
        return make_error(ErrorCode::Unavailable, program + ": " + std::strerror(rc), rc);
    }
    ProgramResult result;
    auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p{pipeFds[0], POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;  // a signal: poll again with the time left
        if (ready <= 0) continue;
        ssize_t n = ::read(pipeFds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF: the program (and anything holding its output) is done
        if (result.output.size() < kMaxOutput)
            result.output.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n),
                                                            kMaxOutput - result.output.size()));
    }
    ::close(pipeFds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!result.timedOut && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    return result;
}

}  // namespace cj::cli

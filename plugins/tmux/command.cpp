// run_command and find_program (see command.h).
#include "command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/spawn.h"

namespace cj::tmux {

namespace {

using cj::plugin_common::SpawnSetup;
using cj::plugin_common::to_pointers;
using claude_jobs::ErrorCode;
using claude_jobs::make_error;

constexpr std::size_t kMaxCapture = 1 << 20;

struct Pipe {
    int fd[2] = {-1, -1};
    bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
    void close_end(int i) {
        if (fd[i] >= 0) ::close(fd[i]);
        fd[i] = -1;
    }
    ~Pipe() {
        close_end(0);
        close_end(1);
    }
};

}  // namespace

std::string find_program(const std::string& name, const std::vector<std::string>& env) {
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& entry : env)
        if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
    return cj::plugin_common::find_program(name, path);
}

claude_jobs::Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                               const std::vector<std::string>& env,
                                               const std::string& input,
                                               std::chrono::milliseconds limit) {
    if (argv.empty()) return make_error(ErrorCode::Internal, "no command to run");
    Pipe in, out, err;
    if (!in.open() || !out.open() || !err.open())
        return make_error(ErrorCode::Internal, std::string("pipe: ") + std::strerror(errno), errno);

    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, in.fd[0], 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out.fd[1], 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err.fd[1], 2);
    setup.close_from_3();
    // A tmux server started by this client inherits its folder: never pin the server's.
    posix_spawn_file_actions_addchdir_np(&setup.actions, "/");
    setup.default_signals(/*newSession=*/true);

    auto argvPointers = to_pointers(argv);
    auto envPointers = to_pointers(env);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), envPointers.data());
    if (rc != 0)
        return make_error(ErrorCode::Unavailable,
                          "cannot run " + argv[0] + ": " + std::strerror(rc), rc);
    in.close_end(0);
    out.close_end(1);
    err.close_end(1);

    // The input is small (a message, at most a few hundred KiB); a child that does not read
    // it all is still bounded by the deadline below.
    std::size_t written = 0;
    if (input.empty())
        in.close_end(1);
    else
        ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);

    CommandOutput result;
    auto deadline = std::chrono::steady_clock::now() + limit;
    bool timedOut = false;
    while (out.fd[0] >= 0 || err.fd[0] >= 0 || in.fd[1] >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        pollfd fds[3];
        int count = 0;
        int slotOut = -1, slotErr = -1, slotIn = -1;
        if (out.fd[0] >= 0) fds[slotOut = count++] = {out.fd[0], POLLIN, 0};
        if (err.fd[0] >= 0) fds[slotErr = count++] = {err.fd[0], POLLIN, 0};
        if (in.fd[1] >= 0) fds[slotIn = count++] = {in.fd[1], POLLOUT, 0};
        int n = ::poll(fds, static_cast<nfds_t>(count), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        auto drain = [&](int slot, Pipe& pipe, std::string& into) {
            if (slot < 0 || fds[slot].revents == 0) return;
            char buffer[4096];
            ssize_t got = ::read(pipe.fd[0], buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) return;
            if (got <= 0) {
                pipe.close_end(0);
                return;
            }
            if (into.size() < kMaxCapture) into.append(buffer, static_cast<std::size_t>(got));
        };
        drain(slotOut, out, result.out);
        drain(slotErr, err, result.err);
        if (slotIn >= 0 && fds[slotIn].revents != 0) {
            ssize_t put = ::write(in.fd[1], input.data() + written, input.size() - written);
            if (put > 0) written += static_cast<std::size_t>(put);
            if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
                in.close_end(1);
        }
    }
    if (timedOut) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timedOut)
        return make_error(ErrorCode::Internal, argv[0] + " did not answer within " +
                                                   std::to_string(limit.count()) + " ms");
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace cj::tmux

// Running a command to its end with its output captured (see command.h).
#include "common/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/spawn.h"

extern char** environ;

namespace cj::plugin_common {

namespace {

using Clock = std::chrono::steady_clock;

// Both ends close-on-exec, each closed once, whatever path the call takes.
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

// The three streams between this process and the command.
struct Streams {
    Pipe in, out, err;
    bool feedInput = false;

    bool open(const CommandOptions& options) {
        feedInput = options.input.has_value();
        return (!feedInput || in.open()) && out.open() && (options.mergeStderr || err.open());
    }

    void wire(SpawnSetup& setup, const CommandOptions& options) {
        if (feedInput)
            posix_spawn_file_actions_adddup2(&setup.actions, in.fd[0], 0);
        else
            posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&setup.actions, out.fd[1], 1);
        posix_spawn_file_actions_adddup2(&setup.actions,
                                         options.mergeStderr ? out.fd[1] : err.fd[1], 2);
    }

    // The command holds its own copies now.
    void close_child_ends() {
        in.close_end(0);
        out.close_end(1);
        err.close_end(1);
    }
};

// One read into `into`, keeping at most `limit` bytes; the pipe's end is closed at EOF or on
// an error other than a retryable one.
void drain(Pipe& pipe, std::string& into, std::size_t limit) {
    char buffer[8192];
    ssize_t n = ::read(pipe.fd[0], buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        pipe.close_end(0);
        return;
    }
    std::size_t room = into.size() < limit ? limit - into.size() : 0;
    into.append(buffer, std::min(room, static_cast<std::size_t>(n)));
}

// Writes what the command has room for; closes stdin once all is written or it stopped reading.
void feed(Pipe& in, const std::string& input, std::size_t& written) {
    ssize_t put = ::write(in.fd[1], input.data() + written, input.size() - written);
    if (put > 0) written += static_cast<std::size_t>(put);
    if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in.close_end(1);
}

// Reads both outputs and feeds the input until all three are closed or the deadline passes.
// False when the deadline passed.
bool exchange(Streams& s, const CommandOptions& options, CommandOutput& result) {
    static const std::string kNoInput;
    const std::string& input = options.input ? *options.input : kNoInput;
    std::size_t written = 0;
    if (s.feedInput && input.empty()) s.in.close_end(1);
    if (s.in.fd[1] >= 0) ::fcntl(s.in.fd[1], F_SETFL, O_NONBLOCK);  // never block on a full pipe
    auto deadline = Clock::now() + options.timeout;
    while (s.out.fd[0] >= 0 || s.err.fd[0] >= 0 || s.in.fd[1] >= 0) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd fds[3];
        int count = 0, slotOut = -1, slotErr = -1, slotIn = -1;
        if (s.out.fd[0] >= 0) fds[slotOut = count++] = {s.out.fd[0], POLLIN, 0};
        if (s.err.fd[0] >= 0) fds[slotErr = count++] = {s.err.fd[0], POLLIN, 0};
        if (s.in.fd[1] >= 0) fds[slotIn = count++] = {s.in.fd[1], POLLOUT, 0};
        int n = ::poll(fds, static_cast<nfds_t>(count), static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;  // a signal: poll again with the time left
        if (n < 0) return false;                // cannot wait any more: end it, stay bounded
        if (slotOut >= 0 && fds[slotOut].revents) drain(s.out, result.out, options.maxCapture);
        if (slotErr >= 0 && fds[slotErr].revents) drain(s.err, result.err, options.maxCapture);
        if (slotIn >= 0 && fds[slotIn].revents) feed(s.in, input, written);
    }
    return true;
}

}  // namespace

CommandOutput run_captured(const std::vector<std::string>& argv, const CommandOptions& options) {
    CommandOutput result;
    if (argv.empty() || argv[0].empty()) {
        result.spawnError = ENOENT;
        return result;
    }
    Streams streams;
    if (!streams.open(options)) {
        result.spawnError = errno;
        return result;
    }
    SpawnSetup setup;
    streams.wire(setup, options);
    setup.close_from_3();
    if (!options.workDir.empty())
        posix_spawn_file_actions_addchdir_np(&setup.actions, options.workDir.c_str());
    setup.default_signals(options.newSession);

    auto argvPointers = to_pointers(argv);
    std::vector<char*> envPointers;
    if (options.env) envPointers = to_pointers(*options.env);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                           argvPointers.data(), options.env ? envPointers.data() : environ);
    streams.close_child_ends();
    if (rc != 0) {
        result.spawnError = rc;
        return result;
    }
    result.started = true;
    result.timedOut = !exchange(streams, options, result);
    if (result.timedOut) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!result.timedOut && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    return result;
}

std::string first_lines(const std::string& text, std::size_t limit) {
    std::string out;
    for (char c : text) {
        if (out.size() >= limit) {
            out += "...";
            break;
        }
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string describe_failure(const std::string& what, const CommandOutput& output) {
    if (!output.started) return what + " could not be run: " + std::strerror(output.spawnError);
    if (output.timedOut) return what + " did not answer in time";
    std::string text = first_lines(output.err.empty() ? output.out : output.err);
    return what + " failed (exit code " + std::to_string(output.exitCode) + ")" +
           (text.empty() ? "" : ": " + text);
}

bool plain_option_value(const std::string& value) {
    if (value.empty() || value.front() == '-') return false;
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace cj::plugin_common

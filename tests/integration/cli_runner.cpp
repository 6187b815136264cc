#include "cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "harness.h"

extern char** environ;

namespace cj::testing {

CliProcess::CliProcess(const std::vector<std::string>& args, const CliOptions& options) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        // Like the server under test: the machine's own settings must not leak in.
        if (entry.rfind("CLAUDE_JOBS_", 0) == 0 || entry.rfind("CLAUDE_ASYNC_", 0) == 0 ||
            entry.rfind("IS_SANDBOX=", 0) == 0)
            continue;
        env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [name, value] : options.env) {
        if (value)
            env[name] = *value;
        else
            env.erase(name);
    }
    std::vector<std::string> envStrings;
    for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string binary = bin_path("claude-jobs");
    std::vector<std::string> argvStrings = {binary};
    argvStrings.insert(argvStrings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argvStrings) argv.push_back(a.data());
    argv.push_back(nullptr);

    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
        if (options.input)
            ::dup2(in[0], 0);
        else {
            int devnull = ::open("/dev/null", O_RDONLY);
            ::dup2(devnull, 0);
        }
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
        ::execve(binary.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (options.input) {
        const std::string& text = *options.input;
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(in[1], text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
    }
    ::close(in[1]);
    outFd_ = out[0];
    errFd_ = err[0];
    reader_ = std::thread([this] { read_loop(); });
}

CliProcess::~CliProcess() {
    if (!reaped_) finish(std::chrono::milliseconds(0));
}

void CliProcess::read_loop() {
    pollfd fds[2] = {{outFd_, POLLIN, 0}, {errFd_, POLLIN, 0}};
    int open = 2;
    char buf[65536];
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
                continue;
            }
            std::lock_guard<std::mutex> lock(mutex_);
            (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
        }
    }
}

std::string CliProcess::out_so_far() {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_;
}

bool CliProcess::running() {
    if (reaped_) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : kKilledBySignal + WTERMSIG(status);
        return false;
    }
    return true;
}

CliResult CliProcess::finish(std::chrono::milliseconds timeout) {
    bool ended = wait_until([this] { return !running(); }, timeout);
    if (!ended) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        status_ = -1;
    }
    if (reader_.joinable()) reader_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    return CliResult{status_, out_, err_};
}

CliResult run_cli(const std::vector<std::string>& args, const CliOptions& options,
                  std::chrono::milliseconds timeout) {
    CliProcess process(args, options);
    return process.finish(timeout);
}

}  // namespace cj::testing

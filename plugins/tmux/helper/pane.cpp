// The pane program (see pane.h).
#include "pane.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "claude_jobs/job_folder.h"
#include "core/transcript/events.h"
#include "interactive_start.h"
#include "pane_io.h"

namespace cj::tmux {

namespace {

namespace folder = claude_jobs::job_folder;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = std::chrono::milliseconds(100);

volatile sig_atomic_t gCloseRequested = 0;

void on_close_signal(int) {
    gCloseRequested = 1;
}

struct PaneOptions {
    std::string jobDir;
    long long keepSec = 600;
    std::string tmux;
    std::string socket;
    std::string session;
    bool interactive = false;
    std::vector<std::string> runner;
};

bool parse(int argc, char** argv, PaneOptions& o, std::string& why) {
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (i + 1 >= argc) {
            why = arg + " needs a value";
            return false;
        }
        std::string value = argv[++i];
        if (arg == "--job-dir")
            o.jobDir = value;
        else if (arg == "--keep")
            o.keepSec = std::atoll(value.c_str());
        else if (arg == "--tmux")
            o.tmux = value;
        else if (arg == "--socket")
            o.socket = value;
        else if (arg == "--session")
            o.session = value;
        else if (arg == "--mode")
            o.interactive = value == "interactive";
        else {
            why = "unknown option " + arg;
            return false;
        }
    }
    for (; i < argc; ++i) o.runner.emplace_back(argv[i]);
    if (o.jobDir.empty() || o.runner.empty() || o.tmux.empty() || o.session.empty()) {
        why = "--job-dir, --tmux, --session and the runner's command line are required";
        return false;
    }
    return true;
}

// The job's environment, NUL-separated, read once and removed (it may hold keys).
bool take_environment(const std::string& jobDir, std::vector<std::string>& env) {
    std::string path = jobDir + "/" + folder::kPaneEnvFile;
    std::string text = read_all(path);
    if (!file_exists(path)) return false;
    ::unlink(path.c_str());
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) env.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return true;
}

void set_variable(std::vector<std::string>& env, const std::string& name, const char* value) {
    if (!value) return;
    std::string prefix = name + "=";
    for (auto& entry : env)
        if (entry.rfind(prefix, 0) == 0) {
            entry = prefix + value;
            return;
        }
    env.push_back(prefix + value);
}

std::vector<char*> pointers(std::vector<std::string>& items) {
    std::vector<char*> out;
    for (auto& item : items) out.push_back(item.data());
    out.push_back(nullptr);
    return out;
}

pid_t start_runner(PaneOptions& o, std::vector<std::string>& env) {
    auto argv = pointers(o.runner);
    auto envp = pointers(env);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(argv[0], argv.data(), envp.data());
        std::string why = std::string("cannot run ") + argv[0] + ": " + std::strerror(errno) + "\n";
        (void)!::write(2, why.data(), why.size());
        ::_exit(127);
    }
    if (pid > 0) ::setpgid(pid, pid);
    return pid;
}

std::string describe(int status) {
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "ended";
}

}  // namespace

int run_pane(int argc, char** argv) {
    PaneOptions o;
    std::string why;
    if (!parse(argc, argv, o, why)) {
        say("claude-jobs-tmux pane: " + why + "\n");
        return 2;
    }
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGQUIT, SIG_IGN);
    ::signal(SIGTSTP, SIG_IGN);
    ::signal(SIGTTOU, SIG_IGN);
    ::signal(SIGTTIN, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    struct sigaction closer {};
    closer.sa_handler = on_close_signal;
    sigemptyset(&closer.sa_mask);
    ::sigaction(SIGTERM, &closer, nullptr);
    ::sigaction(SIGHUP, &closer, nullptr);

    std::vector<std::string> env;
    if (!take_environment(o.jobDir, env)) {
        say("claude-jobs: the job's environment file is missing; the job cannot start\n");
        return 1;
    }
    if (o.interactive) set_variable(env, "TERM", std::getenv("TERM"));
    if (gCloseRequested) return 0;  // cancelled before it began
    pid_t runner = start_runner(o, env);
    if (runner < 0) {
        say(std::string("claude-jobs: cannot start the supervisor: ") + std::strerror(errno) +
            "\n");
        return 1;
    }
    if (!o.interactive) say("claude-jobs: job folder " + o.jobDir + "\n");

    LineFollower events(o.jobDir + "/" + folder::kEventsFile);
    LineFollower errors(o.jobDir + "/" + folder::kStderrFile);
    InteractiveStart interactiveStart(TmuxTarget{o.tmux, o.socket, o.session}, o.jobDir);
    bool forwarded = false;
    int status = 0;
    for (;;) {
        if (gCloseRequested && !forwarded) {
            ::kill(runner, SIGTERM);  // our child: its pid cannot have been reused
            forwarded = true;
        }
        pid_t done = ::waitpid(runner, &status, WNOHANG);
        if (!o.interactive) {
            for (const auto& line : events.next()) say(cj::transcript::render_event(line));
            for (const auto& line : errors.next()) say("stderr: " + line + "\n");
        } else if (done == 0) {
            interactiveStart.tick();
        }
        if (done == runner || (done < 0 && errno == ECHILD)) break;
        std::this_thread::sleep_for(kTick);
    }
    if (o.interactive) ::tcsetpgrp(0, ::getpgrp());  // the terminal is ours again
    // What the job wrote last, however much (each read takes at most 1 MiB).
    if (!o.interactive)
        for (auto lines = events.next(); !lines.empty(); lines = events.next())
            for (const auto& line : lines) say(cj::transcript::render_event(line));

    bool cancelled = folder::cancel_requested(o.jobDir);
    say("\n── claude-jobs: the job ended (" + describe(status) + (cancelled ? ", cancelled" : "") +
        ") ──\n");
    if (cancelled || gCloseRequested || o.keepSec <= 0) return 0;
    say("This session closes in " + std::to_string(o.keepSec) + " s.\n");
    auto until = Clock::now() + std::chrono::seconds(o.keepSec);
    while (Clock::now() < until && !gCloseRequested) std::this_thread::sleep_for(kTick * 2);
    return 0;
}

}  // namespace cj::tmux

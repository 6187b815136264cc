// The pane program (see pane.h).
#include "pane.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
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

#include "../command.h"
#include "screen.h"
#include "core/jobs/events.h"

extern char** environ;

namespace cj::tmux {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTick = std::chrono::milliseconds(100);
constexpr auto kQuietBeforeScreenCheck = std::chrono::seconds(3);
constexpr auto kScreenCheckEvery = std::chrono::seconds(2);
constexpr auto kReadyFallback = std::chrono::seconds(15);
// A single event line longer than this is not shown in the pane (claude_check still has it).
constexpr std::size_t kMaxPendingLine = 16 << 20;
constexpr auto kTmuxLimit = std::chrono::milliseconds(5000);
constexpr std::size_t kReadChunk = 1 << 20;

volatile sig_atomic_t gCloseRequested = 0;

void on_close_signal(int) { gCloseRequested = 1; }

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
        if (arg == "--job-dir") o.jobDir = value;
        else if (arg == "--keep") o.keepSec = std::atoll(value.c_str());
        else if (arg == "--tmux") o.tmux = value;
        else if (arg == "--socket") o.socket = value;
        else if (arg == "--session") o.session = value;
        else if (arg == "--mode") o.interactive = value == "interactive";
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

void say(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(1, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// Reads what was added to a file since `offset`, at most kReadChunk.
std::string read_from(const std::string& path, std::uint64_t& offset) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "";
    std::string text(kReadChunk, '\0');
    ssize_t n;
    do {
        n = ::pread(fd, text.data(), text.size(), static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) return "";
    text.resize(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
    return text;
}

// Complete lines out of a growing file, the unfinished rest kept for later.
class LineFollower {
  public:
    explicit LineFollower(std::string path) : path_(std::move(path)) {}
    std::vector<std::string> next() {
        pending_ += read_from(path_, offset_);
        std::vector<std::string> lines;
        std::size_t start = 0;
        for (;;) {
            auto nl = pending_.find('\n', start);
            if (nl == std::string::npos) break;
            lines.push_back(pending_.substr(start, nl - start));
            start = nl + 1;
        }
        pending_.erase(0, start);
        if (skipping_ && !lines.empty()) {  // the rest of an over-long line
            lines.erase(lines.begin());
            skipping_ = false;
        }
        if (pending_.size() > kMaxPendingLine) {
            pending_.clear();
            skipping_ = true;
            lines.push_back("[an event too long to show]");
        }
        return lines;
    }

  private:
    std::string path_;
    std::uint64_t offset_ = 0;
    std::string pending_;
    bool skipping_ = false;
};

// The job's environment, NUL-separated, read once and removed (it may hold keys).
bool take_environment(const std::string& jobDir, std::vector<std::string>& env) {
    std::string path = jobDir + "/pane-env";
    std::uint64_t offset = 0;
    std::string text;
    for (;;) {
        std::string chunk = read_from(path, offset);
        if (chunk.empty()) break;
        text += chunk;
    }
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
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "ended";
}

std::vector<std::string> tmux_argv(const PaneOptions& o, std::vector<std::string> args) {
    args.insert(args.begin(), {o.tmux, "-L", o.socket});
    return args;
}

std::vector<std::string> own_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    return env;
}

std::string capture_screen(const PaneOptions& o) {
    auto ran = run_command(tmux_argv(o, {"capture-pane", "-p", "-t", "=" + o.session + ":"}),
                           own_environment(), "", kTmuxLimit);
    return ran && ran->exitCode == 0 ? ran->out : "";
}

void append_state(const std::string& jobDir, const std::string& line) {
    int fd = ::open((jobDir + "/interactive.jsonl").c_str(),
                    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    std::string text = line + "\n";
    (void)!::write(fd, text.data(), text.size());
    ::close(fd);
}

long long wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

bool paste_prompt(const PaneOptions& o) {
    std::uint64_t offset = 0;
    std::string prompt;
    for (;;) {
        std::string chunk = read_from(o.jobDir + "/prompt.txt", offset);
        if (chunk.empty()) break;
        prompt += chunk;
    }
    std::string text = paste_text(prompt);
    if (text.empty()) return false;
    append_state(o.jobDir, "{\"event\":\"InputSent\",\"at\":" + std::to_string(wall_ms()) + "}");
    std::string buffer = "cj-prompt-" + o.session;
    std::string target = "=" + o.session + ":";
    auto env = own_environment();
    auto loaded = run_command(tmux_argv(o, {"load-buffer", "-b", buffer, "-"}), env, text, kTmuxLimit);
    if (!loaded || loaded->exitCode != 0) return false;
    auto pasted = run_command(tmux_argv(o, {"paste-buffer", "-p", "-d", "-b", buffer, "-t", target}),
                              env, "", kTmuxLimit);
    if (!pasted || pasted->exitCode != 0) return false;
    auto entered = run_command(tmux_argv(o, {"send-keys", "-t", target, "Enter"}), env, "", kTmuxLimit);
    return entered && entered->exitCode == 0;
}

// Interactive mode's start-up: the prompt goes in once the session has started and its input
// line is showing; a question on screen before that is recorded.
class InteractiveStart {
  public:
    explicit InteractiveStart(PaneOptions& o) : o_(o), started_(Clock::now()) {}

    void tick() {
        if (promptSent_) return;
        if (!sessionStarted_) {
            auto state = std::string();
            std::uint64_t offset = 0;
            state = read_from(o_.jobDir + "/interactive.jsonl", offset);
            sessionStarted_ = state.find("\"event\":\"SessionStart\"") != std::string::npos;
        }
        auto now = Clock::now();
        if (sessionStarted_) {
            if (sessionStartedAt_ == Clock::time_point{}) sessionStartedAt_ = now;
            // Should the input line never be recognised (a changed interface), the prompt
            // still goes in, later.
            bool late = now - sessionStartedAt_ > kReadyFallback;
            if (late || screen_ready(capture_screen(o_))) {
                promptSent_ = true;
                if (!paste_prompt(o_)) say("claude-jobs: could not type the prompt in\n");
            }
            return;
        }
        if (now - started_ < kQuietBeforeScreenCheck || now < nextScreenCheck_) return;
        nextScreenCheck_ = now + kScreenCheckEvery;
        std::string question;
        bool asking = screen_question(capture_screen(o_), question);
        if (asking && question != lastQuestion_) {
            append_state(o_.jobDir, "{\"event\":\"ScreenQuestion\",\"at\":" +
                                        std::to_string(wall_ms()) +
                                        ",\"question\":" + json_string(question) + "}");
        } else if (!asking && !lastQuestion_.empty()) {
            append_state(o_.jobDir,
                         "{\"event\":\"ScreenClear\",\"at\":" + std::to_string(wall_ms()) + "}");
        }
        lastQuestion_ = asking ? question : "";
    }

  private:
    PaneOptions& o_;
    Clock::time_point started_;
    Clock::time_point nextScreenCheck_{};
    Clock::time_point sessionStartedAt_{};
    bool sessionStarted_ = false;
    bool promptSent_ = false;
    std::string lastQuestion_;
};

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
        say(std::string("claude-jobs: cannot start the supervisor: ") + std::strerror(errno) + "\n");
        return 1;
    }
    if (!o.interactive) say("claude-jobs: job folder " + o.jobDir + "\n");

    LineFollower events(o.jobDir + "/events.jsonl");
    LineFollower errors(o.jobDir + "/stderr.log");
    InteractiveStart interactiveStart(o);
    bool forwarded = false;
    int status = 0;
    for (;;) {
        if (gCloseRequested && !forwarded) {
            ::kill(runner, SIGTERM);  // our child: its pid cannot have been reused
            forwarded = true;
        }
        pid_t done = ::waitpid(runner, &status, WNOHANG);
        if (!o.interactive) {
            for (const auto& line : events.next()) say(cj::jobs::render_event(line));
            for (const auto& line : errors.next()) say("stderr: " + line + "\n");
        } else if (done == 0) {
            interactiveStart.tick();
        }
        if (done == runner || (done < 0 && errno == ECHILD)) break;
        std::this_thread::sleep_for(kTick);
    }
    if (o.interactive) ::tcsetpgrp(0, ::getpgrp());  // the terminal is ours again

    bool cancelled = file_exists(o.jobDir + "/cancel.json");
    say("\n── claude-jobs: the job ended (" + describe(status) + (cancelled ? ", cancelled" : "") +
        ") ──\n");
    if (cancelled || gCloseRequested || o.keepSec <= 0) return 0;
    say("This session closes in " + std::to_string(o.keepSec) + " s.\n");
    auto until = Clock::now() + std::chrono::seconds(o.keepSec);
    while (Clock::now() < until && !gCloseRequested) std::this_thread::sleep_for(kTick * 2);
    return 0;
}

}  // namespace cj::tmux

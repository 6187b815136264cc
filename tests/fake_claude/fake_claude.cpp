// fake-claude: the test suite's stand-in for the `claude` CLI (SPEC §10). It takes the real
// CLI's flags, reads the prompt from stdin to end of file, and prints stream-json events like
// the real one. Each prompt line that is a directive makes it do something a test needs:
//   say TEXT | tool NAME ARGJSON | sleep SECONDS | output BYTES | stderr TEXT | exit CODE |
//   error TEXT | spawn-child SECONDS PIDFILE | spawn-setsid SECONDS PIDFILE |
//   spawn-daemon SECONDS PIDFILE | pidfile PATH | touch PATH | fds PATH | env PATH | args PATH |
//   ignore-term | raw TEXT | die SIGNAME | append PATH TEXT |
//   write PATH TEXT (a line into PATH, from the cwd)
// spawn-child leaves a child in its process group; spawn-setsid one that called setsid (a
// session and group of its own); spawn-daemon a daemon that forked twice (its parent has
// exited, so it is nobody's child of ours). Each sleeps SECONDS and writes its pid to PIDFILE.
// append writes TEXT and a newline to an existing PATH (a pipe, say) and says whether it could.
// Any other line is echoed back as the assistant's text. Last comes the result event, unless
// it died. SIGTERM ends it with 143 and SIGINT with 0 and an error result, as the real CLI does;
// an event it cannot write (a full disk) ends it with 1 and a line on stderr, as the real CLI's
// unhandled write error does.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kOutputChunkBytes = 4096;

volatile sig_atomic_t gInterrupted = 0;

void on_sigterm(int) {
    ::_exit(143);
}
void on_sigint(int) {
    gInterrupted = 1;
}

void write_all(int fd, const std::string& data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// One event per line, written straight to the descriptor so each line is out at once.
void emit(const Json& event) {
    std::string line = event.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(1, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            std::string why = std::string("fake-claude: cannot write an event: ") +
                              (n < 0 ? std::strerror(errno) : "nothing written") + "\n";
            write_all(2, why);
            ::_exit(1);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// Writes path whole (temp file + rename), so a test polling for it never reads half of it.
void write_file(const std::string& path, const std::string& content) {
    std::string temp = path + ".tmp" + std::to_string(::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::fprintf(stderr, "fake-claude: cannot write %s: %s\n", path.c_str(), strerror(errno));
        return;
    }
    write_all(fd, content);
    ::close(fd);
    ::rename(temp.c_str(), path.c_str());
}

std::string new_uuid() {
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
        for (auto& c : b) c = static_cast<unsigned char>(std::rand());
    }
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4
    b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
    char out[37];
    std::snprintf(out, sizeof out,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return out;
}

// Sleeps, waking early only for SIGINT (SIGTERM ends the process from its handler).
void sleep_seconds(double seconds) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!gInterrupted) {
        auto left = end - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds(0)) return;
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        ::nanosleep(&ts, nullptr);
    }
}

std::optional<double> parse_number(const std::string& text) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value) || value < 0) return std::nullopt;
    return value;
}

std::optional<int> parse_int(const std::string& text) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || value < 0 || value > 255) return std::nullopt;
    return static_cast<int>(value);
}

std::optional<int> parse_signal(std::string name) {
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    if (auto number = parse_int(name); number && *number > 0 && *number < NSIG) return number;
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = ::sigabbrev_np(sig);
        if (abbrev != nullptr && name == abbrev) return sig;
    }
    return std::nullopt;
}

std::string read_all_stdin() {
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
    }
    return data;
}

struct Flags {
    std::string model = "fake";
    std::string permissionMode = "default";
    std::string resume;
    std::string sessionId;
    bool forkSession = false;
};

Flags parse_flags(int argc, char** argv) {
    // The real CLI's flags that take a value; every other flag is taken as a switch.
    static const std::vector<std::string> kWithValue = {
        "--output-format",   "--input-format",
        "--model",           "--permission-mode",
        "--allowedTools",    "--allowed-tools",
        "--disallowedTools", "--disallowed-tools",
        "--resume",          "-r",
        "--session-id",      "--max-budget-usd",
        "--max-turns",       "--append-system-prompt",
        "--system-prompt",   "--add-dir",
        "--mcp-config",      "--settings",
        "--fallback-model"};
    Flags flags;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool hasValue = false;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            hasValue = true;
        } else if (std::find(kWithValue.begin(), kWithValue.end(), arg) != kWithValue.end() &&
                   i + 1 < argc) {
            value = argv[++i];
            hasValue = true;
        }
        if (arg == "--fork-session") flags.forkSession = true;
        if (!hasValue) continue;
        if (arg == "--model") flags.model = value;
        if (arg == "--permission-mode") flags.permissionMode = value;
        if (arg == "--resume" || arg == "-r") flags.resume = value;
        if (arg == "--session-id") flags.sessionId = value;
    }
    return flags;
}

// The conversation as the events describe it, and what the result event will say.
class Session {
  public:
    Session(const Flags& flags, int argc, char** argv) : flags_(flags), argc_(argc), argv_(argv) {
        if (!flags.resume.empty() && !flags.forkSession) {
            id_ = flags.resume;
        } else if (!flags.sessionId.empty()) {
            id_ = flags.sessionId;
        } else {
            id_ = new_uuid();
        }
    }

    void init() {
        char cwd[4096];
        if (::getcwd(cwd, sizeof cwd) == nullptr) cwd[0] = '\0';
        emit(Json{{"type", "system"},
                  {"subtype", "init"},
                  {"session_id", id_},
                  {"cwd", cwd},
                  {"model", flags_.model},
                  {"permissionMode", flags_.permissionMode},
                  {"tools", {"Bash", "Edit", "Read", "Write"}}});
    }

    // Acts on one prompt line; a line that is no directive is said back.
    void run_line(const std::string& line) {
        std::string word = line.substr(0, line.find(' '));
        std::string rest = line.size() > word.size() ? line.substr(word.size() + 1) : "";
        if (!run_directive(word, rest) && line.find_first_not_of(" \t") != std::string::npos) {
            say(line);
        }
    }

    [[noreturn]] void finish() {
        bool isError = errorText_.has_value() || exitCode() != 0 || gInterrupted;
        std::string subtype = errorText_ || gInterrupted ? "error_during_execution" : "success";
        std::string result = errorText_ ? *errorText_ : gInterrupted ? "Interrupted" : lastText_;
        auto durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started_)
                              .count();
        emit(Json{{"type", "result"},
                  {"subtype", subtype},
                  {"is_error", isError},
                  {"result", result},
                  {"session_id", id_},
                  {"num_turns", std::max(1, turns_)},
                  {"total_cost_usd", 0.001},
                  {"duration_ms", durationMs},
                  {"permission_denials", Json::array()}});
        // SIGINT makes the real CLI stop with 0 and an error result.
        ::_exit(gInterrupted ? 0 : exitCode());
    }

  private:
    int exitCode() const { return exitCode_ ? *exitCode_ : errorText_ ? 1 : 0; }

    void assistant(Json content) {
        ++turns_;
        emit(Json{{"type", "assistant"},
                  {"message",
                   {{"id", "msg_" + std::to_string(turns_)},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", "fake"},
                    {"content", std::move(content)}}},
                  {"parent_tool_use_id", nullptr},
                  {"session_id", id_}});
    }

    void say(const std::string& text) {
        lastText_ = text;
        assistant(Json::array({{{"type", "text"}, {"text", text}}}));
    }

    void tool(const std::string& rest) {
        std::string name = rest.substr(0, rest.find(' '));
        std::string argText = rest.size() > name.size() ? rest.substr(name.size() + 1) : "{}";
        Json input = Json::parse(argText, nullptr, false);
        if (input.is_discarded()) input = Json{{"raw", argText}};
        std::string id = "toolu_" + std::to_string(++tools_);
        assistant(Json::array(
            {{{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", std::move(input)}}}));
        emit(Json{{"type", "user"},
                  {"message",
                   {{"role", "user"},
                    {"content", Json::array({{{"type", "tool_result"},
                                              {"tool_use_id", id},
                                              {"content", "ok"},
                                              {"is_error", false}}})}}},
                  {"parent_tool_use_id", nullptr},
                  {"session_id", id_}});
    }

    void output(std::size_t bytes) {
        static const std::string kPattern = "The quick brown fox jumps over the lazy dog. ";
        while (bytes > 0) {
            std::size_t size = std::min(bytes, kOutputChunkBytes);
            std::string text;
            while (text.size() < size) text += kPattern;
            text.resize(size);
            say(text);
            bytes -= size;
        }
    }

    void append(const std::string& path, const std::string& text) {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0) {
            say("cannot open " + path + ": " + std::strerror(errno));
            return;
        }
        write_all(fd, text + "\n");
        ::close(fd);
        say("appended to " + path);
    }

    void spawn_child(double seconds, const std::string& pidFile) {
        pid_t pid = ::fork();
        if (pid == 0) {
            sleep_seconds(seconds);
            ::_exit(0);
        }
        if (pid > 0) write_file(pidFile, std::to_string(pid) + "\n");
    }

    // setsid: leaves the job's session and process group. daemon: also forks again and lets
    // the middle process exit, so the sleeper's parent is gone.
    void spawn_escapee(double seconds, const std::string& pidFile, bool daemon) {
        pid_t pid = ::fork();
        if (pid != 0) {
            if (pid > 0 && daemon) ::waitpid(pid, nullptr, 0);
            if (pid > 0 && !daemon) write_file(pidFile, std::to_string(pid) + "\n");
            return;
        }
        ::setsid();
        if (daemon && ::fork() != 0) ::_exit(0);
        if (daemon) write_file(pidFile, std::to_string(::getpid()) + "\n");
        sleep_seconds(seconds);
        ::_exit(0);
    }

    void list_fds(const std::string& path) {
        std::vector<int> fds;
        if (DIR* dir = ::opendir("/proc/self/fd")) {
            while (dirent* entry = ::readdir(dir)) {
                if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
                int fd = std::atoi(entry->d_name);
                if (fd != ::dirfd(dir)) fds.push_back(fd);
            }
            ::closedir(dir);
        }
        std::sort(fds.begin(), fds.end());
        std::string out;
        for (int fd : fds) out += std::to_string(fd) + "\n";
        write_file(path, out);
    }

    [[noreturn]] void die(int sig) {
        rlimit noCore{0, 0};
        ::setrlimit(RLIMIT_CORE, &noCore);  // a deliberate SIGSEGV needs no core file
        ::signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::kill(::getpid(), sig);
        ::_exit(1);  // a signal whose default is to be ignored
    }

    bool run_directive(const std::string& word, const std::string& rest) {
        if (word == "say") {
            say(rest);
        } else if (word == "tool" && !rest.empty()) {
            tool(rest);
        } else if (word == "sleep" && parse_number(rest)) {
            sleep_seconds(*parse_number(rest));
        } else if (word == "output" && parse_number(rest)) {
            output(static_cast<std::size_t>(*parse_number(rest)));
        } else if (word == "stderr") {
            write_all(2, rest + "\n");
        } else if (word == "exit" && parse_int(rest)) {
            exitCode_ = parse_int(rest);
        } else if (word == "error") {
            errorText_ = rest;
        } else if (word == "spawn-child" && rest.find(' ') != std::string::npos &&
                   parse_number(rest.substr(0, rest.find(' ')))) {
            spawn_child(*parse_number(rest.substr(0, rest.find(' '))),
                        rest.substr(rest.find(' ') + 1));
        } else if ((word == "spawn-setsid" || word == "spawn-daemon") &&
                   rest.find(' ') != std::string::npos &&
                   parse_number(rest.substr(0, rest.find(' ')))) {
            spawn_escapee(*parse_number(rest.substr(0, rest.find(' '))),
                          rest.substr(rest.find(' ') + 1), word == "spawn-daemon");
        } else if (word == "pidfile" && !rest.empty()) {
            write_file(rest, std::to_string(::getpid()) + "\n");
        } else if (word == "touch" && !rest.empty()) {
            int fd = ::open(rest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0) ::close(fd);
        } else if (word == "append" && rest.find(' ') != std::string::npos) {
            append(rest.substr(0, rest.find(' ')), rest.substr(rest.find(' ') + 1));
        } else if (word == "write" && rest.find(' ') != std::string::npos) {
            auto space = rest.find(' ');
            write_file(rest.substr(0, space), rest.substr(space + 1) + "\n");
        } else if (word == "fds" && !rest.empty()) {
            list_fds(rest);
        } else if (word == "env" && !rest.empty()) {
            std::string out;
            for (char** e = environ; *e != nullptr; ++e) out += std::string(*e) + "\n";
            write_file(rest, out);
        } else if (word == "args" && !rest.empty()) {
            std::string out;
            for (int i = 0; i < argc_; ++i) out += std::string(argv_[i]) + "\n";
            write_file(rest, out);
        } else if (word == "ignore-term" && rest.empty()) {
            ::signal(SIGTERM, SIG_IGN);
        } else if (word == "raw") {
            write_all(1, rest + "\n");
        } else if (word == "die" && parse_signal(rest)) {
            die(*parse_signal(rest));
        } else {
            return false;
        }
        return true;
    }

    Flags flags_;
    int argc_;
    char** argv_;
    std::string id_;
    std::string lastText_;
    std::optional<std::string> errorText_;
    std::optional<int> exitCode_;
    int turns_ = 0;
    int tools_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGTERM, on_sigterm);
    struct sigaction interrupt {};
    interrupt.sa_handler = on_sigint;  // no SA_RESTART: a sleep must wake up for it
    sigemptyset(&interrupt.sa_mask);
    ::sigaction(SIGINT, &interrupt, nullptr);

    Session session(parse_flags(argc, argv), argc, argv);
    std::string prompt = read_all_stdin();
    session.init();
    std::size_t start = 0;
    while (start < prompt.size() && !gInterrupted) {
        std::size_t end = prompt.find('\n', start);
        if (end == std::string::npos) end = prompt.size();
        std::string line = prompt.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        session.run_line(line);
        start = end + 1;
    }
    session.finish();
}

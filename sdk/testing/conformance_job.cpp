// claude-jobs-conformance-job: the program the conformance kit runs in place of claude.
// It writes down what it sees of itself, so the kit can check the job's process from facts
// the job wrote (which works for jobs in containers too), then waits to be released and
// exits with the code it was given.
//
//   claude-jobs-conformance-job --facts FILE --release FILE [--grandchild] [--escapees]
//                               [--ignore-term] [--exit CODE]
//
// FILE gets "key=value" lines: pid, ppid, pgid, sid, cwd, fds (the open descriptors, in
// order), fd.<n> (where each descriptor above 2 points), token (CLAUDE_JOBS_CONFORMANCE_TOKEN),
// stdin (bytes read from stdin), grandchild (the pid of a child left in the process group),
// setsid and daemon (with --escapees: a child that called setsid, and a daemon that forked
// twice and whose parent has exited; both out of the job's process group), pidns (the pid
// namespace, as /proc/self/ns/pid names it). It appears whole (written to a
// temporary name, then renamed). The program then polls for the release file every 10 ms, for
// at most 10 minutes. The grandchild writes a counter into FILE.beat every 20 ms, which says
// whether it still lives wherever the job runs (a container's pids mean nothing on the host);
// it stops when that file is removed, or after 10 minutes. The escapees beat the same way into
// FILE.setsid.beat and FILE.daemon.beat.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kMaxHoldPolls = 60000;  // 10 minutes of 10 ms

std::string pid_namespace() {
    char link[128] = {};
    ssize_t n = ::readlink("/proc/self/ns/pid", link, sizeof link - 1);
    return n > 0 ? std::string(link, static_cast<std::size_t>(n)) : "unknown";
}

// Descriptors open now, the one used to list them excluded; with where those above 2 point.
std::string describe_descriptors(std::string& targets) {
    std::vector<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return "unknown";
    int own = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        int fd = std::atoi(entry->d_name);
        if (fd != own) fds.push_back(fd);
    }
    ::closedir(dir);
    std::string list;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        for (std::size_t j = i + 1; j < fds.size(); ++j)
            if (fds[j] < fds[i]) std::swap(fds[i], fds[j]);
    }
    for (int fd : fds) {
        list += (list.empty() ? "" : ",") + std::to_string(fd);
        if (fd <= 2) continue;
        char target[PATH_MAX] = {};
        std::string link = "/proc/self/fd/" + std::to_string(fd);
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        targets += "fd." + std::to_string(fd) + "=" + (n > 0 ? std::string(target, n) : "?") + "\n";
    }
    return list;
}

// Opens FILE.beat-style counter files before forking, so a failure is reported by the job.
int open_beat(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        std::fprintf(stderr, "claude-jobs-conformance-job: cannot write %s: %s\n", path.c_str(),
                     std::strerror(errno));
    return fd;
}

// Writes a rising counter into fd every 20 ms while path exists (at most 10 minutes).
[[noreturn]] void beat(int fd, const std::string& path) {
    for (long n = 1; n <= kMaxHoldPolls / 2 && ::access(path.c_str(), F_OK) == 0; ++n) {
        std::string count = std::to_string(n) + "\n";
        (void)!::pwrite(fd, count.data(), count.size(), 0);
        ::usleep(20 * 1000);
    }
    ::_exit(0);
}

// A child that calls setsid (its pid), or with daemon a grandchild whose parent exits at
// once (its pid, passed back through a pipe). -1 on failure.
pid_t spawn_escapee(const std::string& beatPath, bool daemon) {
    int fd = open_beat(beatPath);
    if (fd < 0) return -1;
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t child = ::fork();
    if (child == 0) {
        ::setsid();
        if (daemon) {
            pid_t grandchild = ::fork();
            if (grandchild != 0) {
                (void)!::write(report[1], &grandchild, sizeof grandchild);
                ::_exit(0);
            }
        }
        beat(fd, beatPath);
    }
    ::close(fd);
    ::close(report[1]);
    pid_t pid = child;
    if (daemon) {
        if (child < 0 || ::read(report[0], &pid, sizeof pid) != sizeof pid) pid = -1;
        if (child > 0) ::waitpid(child, nullptr, 0);
    }
    ::close(report[0]);
    return pid;
}

long read_stdin_bytes() {
    long total = 0;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(0, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? -1 : total;
        total += n;
    }
}

bool write_facts(const std::string& path, const std::string& text) {
    std::string temp = path + ".tmp";
    FILE* out = std::fopen(temp.c_str(), "we");
    if (!out) return false;
    bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    ok = std::fclose(out) == 0 && ok;
    return ok && std::rename(temp.c_str(), path.c_str()) == 0;
}

int usage(const char* why) {
    std::fprintf(stderr,
                 "claude-jobs-conformance-job: %s\nusage: claude-jobs-conformance-job --facts FILE "
                 "--release FILE [--grandchild] [--escapees] [--ignore-term] [--exit CODE]\n",
                 why);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    // Before anything here opens a file: the descriptors the job was given.
    std::string targets;
    std::string fds = describe_descriptors(targets);

    std::string factsPath, releasePath;
    bool grandchild = false, escapees = false, ignoreTerm = false;
    int exitCode = 0;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool last = i + 1 >= argc;
        if (arg == "--facts" && !last) {
            factsPath = argv[++i];
        } else if (arg == "--release" && !last) {
            releasePath = argv[++i];
        } else if (arg == "--exit" && !last) {
            exitCode = std::atoi(argv[++i]);
        } else if (arg == "--grandchild") {
            grandchild = true;
        } else if (arg == "--escapees") {
            escapees = true;
        } else if (arg == "--ignore-term") {
            ignoreTerm = true;
        } else {
            return usage(("unexpected argument " + arg).c_str());
        }
    }
    if (factsPath.empty() || releasePath.empty()) return usage("--facts and --release are needed");

    long stdinBytes = read_stdin_bytes();
    pid_t child = 0;
    if (grandchild) {
        std::string beatPath = factsPath + ".beat";
        int fd = open_beat(beatPath);
        if (fd < 0) return 3;
        child = ::fork();
        // Stays in the job's process group, beating, until someone ends the group.
        if (child == 0) beat(fd, beatPath);
        ::close(fd);
    }
    pid_t setsidChild = 0, daemon = 0;
    if (escapees) {
        setsidChild = spawn_escapee(factsPath + ".setsid.beat", /*daemon=*/false);
        daemon = spawn_escapee(factsPath + ".daemon.beat", /*daemon=*/true);
        if (setsidChild < 0 || daemon < 0) return 3;
    }
    if (ignoreTerm) ::signal(SIGTERM, SIG_IGN);

    char cwd[PATH_MAX] = {};
    if (!::getcwd(cwd, sizeof cwd)) std::strcpy(cwd, "?");
    const char* token = std::getenv("CLAUDE_JOBS_CONFORMANCE_TOKEN");
    std::string facts =
        "pid=" + std::to_string(::getpid()) + "\n" + "ppid=" + std::to_string(::getppid()) + "\n" +
        "pgid=" + std::to_string(::getpgid(0)) + "\n" + "sid=" + std::to_string(::getsid(0)) +
        "\n" + "cwd=" + cwd + "\n" + "fds=" + fds + "\n" + targets +
        "token=" + (token ? token : "") + "\n" + "stdin=" + std::to_string(stdinBytes) + "\n" +
        "grandchild=" + std::to_string(child) + "\n" + "setsid=" + std::to_string(setsidChild) +
        "\n" + "daemon=" + std::to_string(daemon) + "\n" + "pidns=" + pid_namespace() + "\n";
    if (!write_facts(factsPath, facts)) {
        std::fprintf(stderr, "claude-jobs-conformance-job: cannot write %s: %s\n",
                     factsPath.c_str(), std::strerror(errno));
        return 3;
    }
    for (int i = 0; i < kMaxHoldPolls; ++i) {
        if (::access(releasePath.c_str(), F_OK) == 0) return exitCode;
        ::usleep(10 * 1000);
    }
    std::fprintf(stderr, "claude-jobs-conformance-job: never released\n");
    return 4;
}

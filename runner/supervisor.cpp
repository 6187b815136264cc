// The supervision loop (see supervisor.h). Signals arrive through a signalfd and are handled
// in the loop, so no work happens in signal handlers and EINTR has only one meaning.
#include "runner/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "claude_jobs/job_folder.h"
#include "runner/clock.h"
#include "runner/descendants.h"
#include "runner/diag.h"

namespace cj::runner {

namespace {

// How long what a program leaves behind gets between SIGTERM and SIGKILL.
constexpr std::int64_t kLeftoverGraceMs = 1000;
// How long to wait for the job's processes to go after SIGKILL before giving up on them.
constexpr std::int64_t kAfterKillWaitMs = 2000;
// Leftovers need not be the runner's children yet (a parent of theirs may still live), so
// their end may raise no SIGCHLD: they are polled for.
constexpr int kLeftoverPollMs = 10;

}  // namespace

int open_signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
    // Dispositions are inherited across exec. An ignored SIGCHLD makes the kernel reap the
    // program itself and its exit status would be lost; the others are reset so that a
    // cancel never depends on how an ignored-but-blocked signal is treated.
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
    return ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

Supervisor::Supervisor(const Options& options, int signalFd, int dirFd, pid_t child,
                       std::int64_t startedMonotonicMs)
    : options_(options),
      signalFd_(signalFd),
      dirFd_(dirFd),
      child_(child),
      startedMonotonicMs_(startedMonotonicMs) {}

SupervisionResult Supervisor::run() {
    reap();
    while (!childDone_) {
        check_deadlines();
        wait_for_events(ms_until_next_deadline());
    }
    end_leftovers();
    return {waitStatus_, cancelled_, timedOut_, noSpaceLeft_};
}

void Supervisor::wait_for_events(int timeoutMs) {
    pollfd pfd{signalFd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeoutMs);
    if (ready <= 0) return;  // timeout, or EINTR from a stop/continue: the caller loops
    bool childEvent = false;
    bool terminate = false;
    signalfd_siginfo info{};
    while (::read(signalFd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        (info.ssi_signo == SIGCHLD ? childEvent : terminate) = true;
    }
    // Reaping first: a program that had already exited by itself keeps its own outcome.
    if (childEvent) reap();
    if (terminate) on_termination_signal();
}

void Supervisor::on_termination_signal() {
    std::int64_t graceMs =
        claude_jobs::job_folder::read_cancel_request(dirFd_).value_or(options_.graceMs);
    if (!ending_) {
        // Once the program has exited its outcome stands; a cancel now only hurries the
        // cleanup of what it left behind.
        if (!childDone_) cancelled_ = true;
        begin_ending(graceMs);
        return;
    }
    // A repeated cancel may ask for less patience, never for more.
    killAtMs_ = std::min(killAtMs_, monotonic_ms() + graceMs);
}

void Supervisor::begin_ending(std::int64_t graceMs) {
    ending_ = true;
    killAtMs_ = monotonic_ms() + graceMs;
    kill_group(SIGTERM);
    // A stopped process only acts on SIGTERM once continued.
    ::kill(-child_, SIGCONT);
    signal_children(SIGTERM);
}

void Supervisor::kill_group(int signal) {
    if (::kill(-child_, signal) != 0 && errno != ESRCH) {
        diag("cannot signal the job's process group: " + std::string(strerror(errno)));
    }
}

void Supervisor::signal_children(int signal) {
    for (pid_t pid : child_pids()) {
        if (signal == SIGTERM) {
            // Members of the group had the group's SIGTERM; each other child is told once.
            if (::getpgid(pid) == child_) continue;
            if (std::find(warned_.begin(), warned_.end(), pid) != warned_.end()) continue;
            warned_.push_back(pid);
            ::kill(pid, SIGTERM);
            ::kill(pid, SIGCONT);
        } else {
            ::kill(pid, signal);
        }
    }
}

void Supervisor::kill_everything() {
    killed_ = true;
    kill_group(SIGKILL);
    signal_children(SIGKILL);
}

void Supervisor::check_deadlines() {
    std::int64_t now = monotonic_ms();
    if (!ending_ && options_.timeoutMs > 0 && now >= startedMonotonicMs_ + options_.timeoutMs) {
        timedOut_ = true;
        begin_ending(options_.graceMs);
    }
    if (ending_ && !killed_ && now >= killAtMs_) kill_everything();
}

int Supervisor::ms_until_next_deadline() const {
    std::int64_t next = -1;
    if (!ending_ && options_.timeoutMs > 0) next = startedMonotonicMs_ + options_.timeoutMs;
    if (ending_ && !killed_) next = killAtMs_;
    if (next < 0) return -1;
    return static_cast<int>(std::clamp<std::int64_t>(next - monotonic_ms(), 0, INT_MAX));
}

bool Supervisor::reap() {
    // Orphans of the job are reparented to the runner (a child subreaper) and reaped here
    // too, so none lingers as a zombie that keeps the group non-empty.
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR) continue;
        if (pid == 0) return true;  // children remain, none has ended
        if (pid < 0) return false;  // ECHILD: no child at all
        warned_.erase(std::remove(warned_.begin(), warned_.end(), pid), warned_.end());
        if (pid == child_) {
            childDone_ = true;
            waitStatus_ = status;
            // Judged now, before the leftovers are ended: a job that died of a full disk
            // finds it still full, while ending its leftovers may free some.
            auto space = claude_jobs::job_folder::folder_space(dirFd_);
            noSpaceLeft_ = space && claude_jobs::job_folder::no_space_left(*space);
        }
    }
}

bool Supervisor::nothing_left() {
    bool children = reap();
    bool groupGone = ::kill(-child_, 0) != 0 && errno == ESRCH;
    return !children && groupGone;
}

void Supervisor::end_leftovers() {
    if (nothing_left()) return;
    if (!ending_) {
        ending_ = true;
        killAtMs_ = monotonic_ms() + kLeftoverGraceMs;
        kill_group(SIGTERM);
        ::kill(-child_, SIGCONT);
    }
    std::int64_t giveUpAtMs = -1;
    while (!nothing_left()) {
        std::int64_t now = monotonic_ms();
        // Every pass looks again: a process whose parent just ended is a child now. Before
        // the grace is up a new one is asked to end; after it, everything is killed.
        if (!killed_ && now >= killAtMs_) killed_ = true;
        if (killed_) {
            kill_everything();
        } else {
            signal_children(SIGTERM);
        }
        if (killed_ && giveUpAtMs < 0) giveUpAtMs = now + kAfterKillWaitMs;
        if (killed_ && now >= giveUpAtMs) {
            diag("processes of the job outlived SIGKILL; leaving them");
            return;
        }
        wait_for_events(kLeftoverPollMs);
    }
}

}  // namespace cj::runner

// Tests of how the runner finds its children (runner/descendants.h): each forked child is
// listed, ended or not yet reaped; and a subreaper adopts a grandchild whose parent exited,
// which is what lets the runner end a double-forked daemon. Run in a forked helper, so the
// test program itself never becomes a subreaper.
#include "runner/descendants.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace {

using cj::runner::become_subreaper;
using cj::runner::child_pids;
using namespace std::chrono_literals;

bool has(const std::vector<pid_t>& pids, pid_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Runs body in a forked process; its exit status says what it found (0: all well).
int in_helper(int (*body)()) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(body());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

pid_t sleeper() {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    return pid;
}

TEST(RunnerDescendantsTest, ListsEveryChildRunningOrNotYetReaped) {
    EXPECT_EQ(in_helper([]() -> int {
                  if (!child_pids().empty()) return 1;
                  pid_t a = sleeper(), b = sleeper();
                  pid_t done = ::fork();
                  if (done == 0) ::_exit(0);
                  std::this_thread::sleep_for(50ms);  // `done` is a zombie now
                  auto pids = child_pids();
                  int result =
                      has(pids, a) && has(pids, b) && has(pids, done) && pids.size() == 3 ? 0 : 2;
                  ::kill(a, SIGKILL);
                  ::kill(b, SIGKILL);
                  while (::wait(nullptr) > 0) {
                  }
                  if (result == 0 && !child_pids().empty()) result = 3;
                  return result;
              }),
              0);
}

TEST(RunnerDescendantsTest, ASubreaperAdoptsTheGrandchildOfAParentThatExited) {
    EXPECT_EQ(in_helper([]() -> int {
                  if (!become_subreaper()) return 1;
                  int report[2];
                  if (::pipe(report) != 0) return 2;
                  pid_t middle = ::fork();
                  if (middle == 0) {
                      ::setsid();
                      pid_t daemon = sleeper();
                      (void)!::write(report[1], &daemon, sizeof daemon);
                      ::_exit(0);
                  }
                  pid_t daemon = -1;
                  if (::read(report[0], &daemon, sizeof daemon) != sizeof daemon) return 3;
                  ::waitpid(middle, nullptr, 0);
                  // Reparenting happens when the middle process exits, before this reap.
                  auto pids = child_pids();
                  int result = has(pids, daemon) && !has(pids, middle) ? 0 : 4;
                  ::kill(daemon, SIGKILL);
                  ::waitpid(daemon, nullptr, 0);
                  return result;
              }),
              0);
}

}  // namespace

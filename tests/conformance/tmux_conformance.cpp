// tmux through the conformance kit, in print mode, on a socket of this test program's own
// (so nobody's tmux server is touched) that is ended when the program ends. Every rule applies:
// the job runs under claude-jobs-runner in a pane, as a host process.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include <claude_jobs/testing/conformance.h>

namespace {

const std::string kSocket = "cj-conformance-" + std::to_string(::getpid());

// Ends the test socket's tmux server, whatever sessions are left on it, and removes the
// socket file it leaves in tmux's folder. tmux from PATH, argv only; a server that is already
// gone is fine.
class TmuxServerCleanup : public ::testing::Environment {
  public:
    void TearDown() override {
        pid_t pid = ::fork();
        if (pid == 0) {
            int devnull = ::open("/dev/null", O_WRONLY);
            ::dup2(devnull, 2);  // "no server running" is not news
            ::execlp("tmux", "tmux", "-L", kSocket.c_str(), "kill-server", nullptr);
            ::_exit(127);
        }
        int status = 0;
        if (pid > 0) ::waitpid(pid, &status, 0);
        const char* dir = std::getenv("TMUX_TMPDIR");
        std::string socket = std::string(dir && *dir ? dir : "/tmp") + "/tmux-" +
                             std::to_string(::getuid()) + "/" + kSocket;
        ::unlink(socket.c_str());
    }
};

const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new TmuxServerCleanup);

claude_jobs::testing::BackendSetup tmux_setup(const std::string& extra) {
    auto setup = claude_jobs::testing::default_setup();
    // A finished job's session closes at once, so the server ends with the last job.
    setup.configJson =
        R"({"socket": ")" + kSocket + R"(", "mode": "print", "keepSessionSec": 0)" + extra + "}";
    return setup;
}

}  // namespace

CLAUDE_JOBS_CONFORMANCE(TmuxConformance, tmux_setup(""));

// The window size while nobody is attached is a setting of its own; jobs run the same.
CLAUDE_JOBS_CONFORMANCE(TmuxSizedConformance, tmux_setup(R"(, "columns": 80, "rows": 24)"));

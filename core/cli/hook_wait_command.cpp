// hook-wait: Claude Code's Stop hook (with "asyncRewake": true) runs it after every turn. It
// reads the hook's JSON on stdin (session_id, stop_hook_active, ...), waits — bounded — for
// the end of a job this session owns that the session has not been told of and did not read
// itself, then exits 2 with a one-paragraph summary on stderr, which Claude Code hands to
// the model as a new turn. Anything else — no or bad input, no state dir, nothing ended in
// time, a newer waiter for the same session — is a quiet exit 0: a hook must never block
// Claude Code by error. Each end is told once (the told mark is claimed in the index), so
// the turn the wake-up causes, whose Stop hook runs again with stop_hook_active, waits for
// the next end instead of looping. One waiter per session: a new one takes the slot and the
// one before it steps down within kFollowPoll.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>

#include "core/cli/commands.h"
#include "core/cli/transition_follow.h"
#include "core/jobs/end_summary.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::cli {

namespace {

constexpr int kExitWake = 2;  // Claude Code: a blocking Stop hook; stderr goes to the model
constexpr std::size_t kMaxInputBytes = 1 << 20;
constexpr int kInputWaitMs = 2000;
constexpr int kMaxJobsPerWake = 10;

// The hook's JSON on stdin, read to its end (bounded in size and time); "" when there is
// none (a terminal, nothing sent, too big).
std::string read_hook_input() {
    if (::isatty(0)) return "";
    std::string text;
    char buf[8192];
    for (;;) {
        pollfd p{0, POLLIN, 0};
        if (::poll(&p, 1, kInputWaitMs) <= 0) return "";
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return "";
        if (n == 0) return text;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxInputBytes) return "";
    }
}

// The session the hook runs for: its input's session_id, if it looks like one.
std::string session_of(const std::string& input) {
    auto parsed = util::parse_json_input(input);
    if (!parsed.ok() || !parsed.value.is_object()) return "";
    auto it = parsed.value.find("session_id");
    if (it == parsed.value.end() || !it->is_string()) return "";
    std::string id = it->get<std::string>();
    static const std::regex kSafe("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    return std::regex_match(id, kSafe) ? id : "";
}

// The session's one waiter slot: a file naming the pid of the newest waiter.
class WaiterSlot {
  public:
    WaiterSlot(const std::string& stateDir, const std::string& session)
        : dir_(stateDir + "/hooks"), name_(session + ".waiter"), me_(std::to_string(::getpid())) {}
    bool take() {
        return util::make_private_dirs(dir_) && util::write_file_atomic(dir_, name_, me_);
    }
    // A newer waiter took the slot.
    bool lost() const {
        auto text = util::read_file(dir_ + "/" + name_, 64);
        return !text || !*text || **text != me_;
    }
    ~WaiterSlot() {
        if (!lost()) ::unlink((dir_ + "/" + name_).c_str());
    }

  private:
    std::string dir_, name_, me_;
};

// Claims the told mark of each untold end of the session; the jobs claimed.
std::vector<jobs::JobRecord> claim_untold(Session& session, const std::string& hostSession) {
    auto& marks = session.service().wake_marks();
    std::vector<jobs::JobRecord> told;
    auto ids = marks.untold(hostSession, jobs::WakePath::Hook, kMaxJobsPerWake);
    if (!ids) return told;
    for (const auto& id : *ids) {
        auto claimed = marks.claim(id, jobs::WakePath::Hook);
        if (!claimed || !*claimed) continue;
        if (auto job = session.app().index().get(id); job && *job) told.push_back(**job);
    }
    return told;
}

std::string wake_paragraph(const std::vector<jobs::JobRecord>& jobs) {
    std::string text = jobs.size() == 1 ? "A background job of this session ended: "
                                        : "Background jobs of this session ended: ";
    for (const auto& job : jobs) text += jobs::end_sentence(jobs::summarize_end(job)) + " ";
    return text + "(claude_check with the jobId shows the full result.)";
}

}  // namespace

int run_hook_wait(const GlobalOptions& global, const HookWaitOptions& options) {
    std::string hostSession = session_of(read_hook_input());
    if (hostSession.empty()) return kExitOk;
    auto config = config::load(global.config, config::current_environment());
    struct stat st {};
    if (!config || ::stat((config->stateDir + "/jobs.db").c_str(), &st) != 0) return kExitOk;
    WaiterSlot slot(config->stateDir, hostSession);
    if (!slot.take()) return kExitOk;
    auto session = Session::open(global);
    if (!session) return kExitOk;
    (*session)->app().start_housekeeping(false);  // ends are recorded even with no server
    auto& index = (*session)->app().index();
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long long>(options.maxWaitSec * 1000));
    InterruptToken interrupt;
    auto stop = [&] {
        return interrupt.interrupted() || std::chrono::steady_clock::now() >= deadline ||
               slot.lost();
    };
    auto last = index.last_transition();
    if (!last) return kExitOk;
    std::int64_t seq = *last;
    while (!stop()) {
        auto told = claim_untold(**session, hostSession);
        if (!told.empty()) {
            std::fprintf(stderr, "%s\n", wake_paragraph(told).c_str());
            return kExitWake;
        }
        auto ended = [&](const jobs::Transition& t) {
            return !(jobs::is_terminal(t.to) && t.ownerSession == hostSession);
        };
        auto followed = follow_transitions(index, seq, true, stop, ended);
        if (!followed) return kExitOk;
        seq = *followed;
    }
    return kExitOk;
}

}  // namespace cj::cli

// events: the transitions log as lines, one per state change (id, label, old → new state,
// short reason), optionally following it as it grows — what Claude Code's Monitor tool and
// a plugin's monitors turn into notifications. It exits quietly when its reader goes away
// (EPIPE, or the pipe's far end closed while nothing was written).
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "core/cli/commands.h"
#include "core/cli/transition_follow.h"
#include "core/jobs/end_summary.h"
#include "core/transcript/text.h"
#include "core/util/clock.h"

namespace cj::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kReasonBytes = 200;

std::string text_line(const jobs::Transition& t) {
    std::string line = "job " + t.jobId;
    if (!t.label.empty()) line += " (" + transcript::one_line(t.label, 80) + ")";
    line += ": " + std::string(t.from ? jobs::state_name(*t.from) : "new") + " → " +
            jobs::state_name(t.to);
    if (!t.reason.empty()) line += " — " + transcript::one_line(t.reason, kReasonBytes);
    return line;
}

json json_line(const jobs::Transition& t) {
    json j = {{"seq", t.seq},
              {"jobId", t.jobId},
              {"from", t.from ? json(jobs::state_name(*t.from)) : json(nullptr)},
              {"to", jobs::state_name(t.to)},
              {"terminal", jobs::is_terminal(t.to)},
              {"at", util::iso8601(t.at)}};
    if (!t.label.empty()) j["label"] = t.label;
    if (!t.reason.empty()) j["reason"] = transcript::one_line(t.reason, kReasonBytes);
    return j;
}

// False when stdout's reader is gone.
bool print_line(const std::string& line) {
    if (std::fputs(line.c_str(), stdout) < 0 || std::fputc('\n', stdout) < 0) return false;
    return std::fflush(stdout) == 0;
}

// A pipe whose reading end closed reports POLLERR to the writer, before anything is written.
bool reader_gone() {
    pollfd p{1, 0, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

// The owner filter: all (""), mine (this host session), or a session id.
std::optional<std::string> owner_session(const std::string& owner) {
    if (owner.empty() || owner == "all") return std::string();
    if (owner != "mine") return owner;
    std::string mine = host_session();
    if (mine.empty()) return std::nullopt;
    return mine;
}

// --untold: the end, once, as the session's wake-up says it; "" when it is not to be told.
std::string untold_line(Session& session, const jobs::Transition& t, bool asJson) {
    if (!jobs::is_terminal(t.to)) return "";
    auto claimed = session.service().wake_marks().claim(t.jobId, jobs::WakePath::Hook);
    if (!claimed || !*claimed) return "";
    auto job = session.app().index().get(t.jobId);
    if (!job || !*job) return "";
    auto end = jobs::summarize_end(**job);
    if (!asJson) return jobs::end_sentence(end);
    json j = json_line(t);
    if (!end.firstLines.empty()) j["result"] = end.firstLines;
    return j.dump();
}

}  // namespace

int run_events(const GlobalOptions& global, const EventsOptions& options) {
    auto session_filter = owner_session(options.owner);
    if (!session_filter)
        return report_error(
            "--owner mine: this process does not know its session (CLAUDE_CODE_SESSION_ID is "
            "not set; Claude Code sets it for its MCP servers, hooks and monitors)",
            kExitUsage);
    if (options.untold && session_filter->empty())
        return report_error("--untold needs --owner mine or a session id", kExitUsage);
    auto config = config::load(global.config, config::current_environment());
    if (!config) return report_error("config: " + config.error().message);
    struct stat st {};
    if (::stat((config->stateDir + "/jobs.db").c_str(), &st) != 0)
        return report_error("no job index in the state dir " + config->stateDir +
                            " (no job was ever started there; is it the right config?)");
    ::signal(SIGPIPE, SIG_IGN);  // a reader that goes away is EPIPE, and a quiet exit
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto& index = (*session)->app().index();
    TransitionFilter filter{options.jobId, *session_filter};
    std::int64_t from = 0;
    if (options.follow) {
        auto last = index.last_transition();
        if (!last) return report_error(last.error());
        from = *last;
        (*session)->app().start_housekeeping(false);  // ends are recorded even with no server
    }
    InterruptToken interrupt;
    bool gone = false;
    auto stop = [&] { return interrupt.interrupted() || (gone = gone || reader_gone()); };
    auto each = [&](const jobs::Transition& t) {
        if (!filter.matches(t)) return true;
        std::string line = options.untold ? untold_line(**session, t, options.json)
                           : options.json ? json_line(t).dump()
                                          : text_line(t);
        if (line.empty()) return true;
        gone = !print_line(line);
        return !gone;
    };
    auto followed = follow_transitions(index, from, options.follow, stop, each);
    if (!followed && !gone) return report_error(followed.error());
    return kExitOk;
}

}  // namespace cj::cli

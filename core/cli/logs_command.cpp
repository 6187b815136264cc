// logs and attach: a job's readable transcript (paged through the job service with
// sinceOffset, as an MCP client would), its raw event stream or stderr, optionally followed
// until the job ends; attach hands the terminal to the backend's attach command when there
// is one.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/cli/commands.h"
#include "core/cli/job_ids.h"
#include "core/cli/table.h"
#include "core/cli/words.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_record.h"
#include "core/tools/job_view_json.h"
#include "core/util/files.h"

namespace cj::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kPageBytes = 64 << 10;
constexpr std::size_t kRawChunk = 1 << 20;
constexpr auto kFollowPoll = std::chrono::milliseconds(200);

// Written at once, so a reader following the log sees each piece as it comes.
void print_now(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

bool ended(const json& view) {
    auto state = jobs::parse_state(view.value("status", ""));
    return state && jobs::is_terminal(*state);
}

// After following a job to its end: one line on stderr, and the status wait would give.
int report_end(const json& view) {
    std::string status = view.value("status", "");
    std::string reason = clean_cell(view.value("reason", ""));
    std::string what = reason.rfind(status, 0) == 0 ? reason
                       : reason.empty()             ? status
                                                    : status + ": " + reason;
    std::fprintf(stderr, "claude-jobs: job %s %s\n", view.value("jobId", "").c_str(), what.c_str());
    return status == "completed" ? kExitOk : kExitFailed;
}

int transcript(Session& session, const std::string& id, bool follow, InterruptToken* interrupt) {
    bool terminal = ::isatty(1);
    std::uint64_t offset = 0;
    for (;;) {
        jobs::ViewOptions options;
        options.tailBytes = kPageBytes;
        options.sinceOffset = offset;
        options.answerOnce = false;  // a person reads the whole transcript here
        auto checked = session.service().check(id, options);
        if (!checked) return report_error(checked.error());
        json view = tools::to_json(*checked);
        std::string text = view["output"].get<std::string>();
        if (!text.empty()) print_now(terminal ? clean_text(text) : text);
        std::uint64_t next = view["nextOffset"].get<std::uint64_t>();
        bool progressed = next != offset;
        offset = next;
        if (progressed) continue;  // more may be there already
        if (!follow) return kExitOk;
        if (ended(view)) return report_end(view);
        if (interrupt->token().wait_for(kFollowPoll)) return kExitInterrupted;
    }
}

int raw_file(Session& session, const std::string& id, const std::string& name, bool follow,
             InterruptToken* interrupt) {
    jobs::ViewOptions quick;
    quick.tailBytes = 0;
    std::string path = session.service().job_dir(id) + "/" + name;
    std::uint64_t offset = 0;
    for (;;) {
        // The state first, then the file: a job seen ended has written all it will write.
        auto checked = session.service().check(id, quick);
        if (!checked) return report_error(checked.error());
        json view = tools::to_json(*checked);
        bool done = ended(view);
        for (;;) {
            auto chunk = util::read_range(path, offset, kRawChunk);
            if (!chunk || chunk->empty()) break;
            print_now(*chunk);
            offset += chunk->size();
        }
        if (!follow) return kExitOk;
        if (done) return report_end(view);
        if (interrupt->token().wait_for(kFollowPoll)) return kExitInterrupted;
    }
}

// What to press to leave the job running, said before the terminal is handed over.
std::string detach_hint(const std::string& program) {
    std::string base = program.substr(program.rfind('/') + 1);
    if (base == "tmux")
        return "attaching; to detach and leave the job running press Ctrl-b then d";
    return "attaching with " + base + "; leaving it does not stop the job (claude-jobs cancel does)";
}

int follow_or_print(Session& session, const LogsOptions& options) {
    std::unique_ptr<InterruptToken> interrupt;
    if (options.follow) interrupt = std::make_unique<InterruptToken>();
    if (options.raw)
        return raw_file(session, options.jobId, jobs::job_files::kEvents, options.follow, interrupt.get());
    if (options.stderrLog)
        return raw_file(session, options.jobId, jobs::job_files::kStderr, options.follow, interrupt.get());
    return transcript(session, options.jobId, options.follow, interrupt.get());
}

}  // namespace

int run_logs(const GlobalOptions& global, const LogsOptions& options) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto id = resolve_job_id(**session, options.jobId);
    if (!id) return report_error(id.error());
    LogsOptions resolved = options;
    resolved.jobId = *id;
    return follow_or_print(**session, resolved);
}

int run_attach(const GlobalOptions& global, const std::string& given) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto resolved = resolve_job_id(**session, given);
    if (!resolved) return report_error(resolved.error());
    const std::string& jobId = *resolved;
    jobs::ViewOptions quick;
    quick.tailBytes = 0;
    auto view = (*session)->service().check(jobId, quick);
    if (!view) return report_error(view.error());
    std::string command = view->attach;
    if (command.empty()) {
        // No terminal to attach to (a local or container job, or one that ended): follow it.
        if (view->job.state == jobs::JobState::Running)
            std::fprintf(stderr, "following the job's log; Ctrl-C stops following, the job "
                                 "keeps running\n");
        LogsOptions follow;
        follow.jobId = jobId;
        follow.follow = true;
        return follow_or_print(**session, follow);
    }
    auto words = split_words(command);
    if (!words) return report_error("the backend's attach command: " + words.error().message);
    std::vector<char*> argv;
    for (auto& w : *words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::fprintf(stderr, "%s\n", detach_hint((*words)[0]).c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    ::execvp(argv[0], argv.data());  // an argument vector: no shell sees it
    return report_error("cannot run " + (*words)[0] + ": " + std::strerror(errno));
}

}  // namespace cj::cli

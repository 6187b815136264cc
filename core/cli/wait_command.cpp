// wait, cancel and gc: steering jobs through the job service. wait loops over the service's
// bounded wait (the one claude_wait uses) until the jobs end, with a progress line on a
// terminal; Ctrl-C ends the wait, never the jobs.
#include <algorithm>
#include <cstdio>

#include "core/cli/commands.h"
#include "core/cli/job_ids.h"
#include "core/jobs/end_summary.h"
#include "core/transcript/text.h"
#include "core/tools/job_view_json.h"
#include "core/cli/table.h"
#include "core/util/clock.h"

namespace cj::cli {

using nlohmann::json;

namespace {

constexpr auto kWaitSlice = std::chrono::milliseconds(1000);

void print_ended(const std::vector<json>& views, bool colour) {
    Table table({"ID", "STATUS", "ELAPSED", "REASON"});
    for (const auto& v : views) {
        std::string status = v.value("status", "");
        table.add({v.value("jobId", ""), Cell(status, status_tone(status)),
                   short_duration(v.value("elapsedMs", 0LL)), v.value("reason", "")});
    }
    std::string text = table.render(colour);
    std::fwrite(text.data(), 1, text.size(), stdout);
    // The first lines of each result: enough for whoever reads this output (a model told
    // through its Bash tool's background task) to know how the job went.
    for (const auto& v : views) {
        std::string result = v.contains("result") ? v["result"].value("text", "") : "";
        if (result.empty()) continue;
        std::printf("%s result: %s\n", v.value("jobId", "").c_str(),
                    transcript::one_line(result, jobs::kSummaryResultBytes).c_str());
    }
}

// For a job still queued when the wait gives up: why it has not started.
std::string why_not_started(jobs::JobService& service, const std::string& id) {
    jobs::ViewOptions quick;
    quick.tailBytes = 0;
    auto view = service.check(id, quick);
    if (!view || view->job.state != jobs::JobState::Queued) return "";
    return " (queued: all " + std::to_string(service.config().maxConcurrentJobs) +
           " slots of maxConcurrentJobs are taken; it starts when one frees)";
}

}  // namespace

int run_wait(const GlobalOptions& global, const WaitOptions& options) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto& service = (*session)->service();
    InterruptToken interrupt;
    bool progress = stderr_is_terminal();
    auto started = std::chrono::steady_clock::now();
    auto deadline =
        options.timeoutSec > 0
            ? started + std::chrono::milliseconds(static_cast<long long>(options.timeoutSec * 1000))
            : std::chrono::steady_clock::time_point::max();
    std::vector<std::string> given = options.jobIds;
    if (auto resolved = resolve_job_ids(**session, given); !resolved)
        return report_error(resolved.error());
    std::vector<std::string> ids;
    for (const auto& id : given)  // each once, in the order given
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    jobs::WaitOutcome out;
    for (;;) {
        service.pump();  // launches queued jobs when slots free, with no server running
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto slice = std::min<std::chrono::milliseconds>(
            kWaitSlice, std::max(left, std::chrono::milliseconds(0)));
        auto waited = service.wait(ids, options.any ? jobs::WaitMode::Any : jobs::WaitMode::All,
                                   slice, interrupt.token(), nullptr);
        if (!waited) {
            if (progress) std::fputs("\r\x1b[K", stderr);
            return report_error(waited.error());
        }
        out = *waited;
        bool satisfied = out.pending.empty() || (options.any && !out.done.empty());
        if (satisfied || interrupt.interrupted() || std::chrono::steady_clock::now() >= deadline)
            break;
        if (progress) {
            long long secs = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
            std::fprintf(stderr, "\r\x1b[Kwaiting: %zu of %zu ended, %zu still running (%llds)",
                         out.done.size(), ids.size(), out.pending.size(), secs);
            std::fflush(stderr);
        }
    }
    if (progress) std::fputs("\r\x1b[K", stderr);
    std::vector<json> done;
    for (const auto& view : out.done) done.push_back(tools::to_json(view));
    if (options.json) {
        json j = {{"done", done}, {"pending", out.pending}};
        std::printf("%s\n", j.dump(2).c_str());
    } else if (!out.done.empty()) {
        print_ended(done, colour_stdout());
    }
    bool satisfied = out.pending.empty() || (options.any && !out.done.empty());
    if (!satisfied) {
        std::string pending;
        for (const auto& id : out.pending) pending += " " + id + why_not_started(service, id);
        report_error(std::string(interrupt.interrupted() ? "interrupted" : "timed out") +
                         "; still running:" + pending,
                     0);
        return interrupt.interrupted() ? kExitInterrupted : kExitTimedOut;
    }
    for (const auto& v : out.done)
        if (v.job.state != jobs::JobState::Completed) return kExitFailed;
    return kExitOk;
}

int run_cancel(const GlobalOptions& global, const CancelOptions& options) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto id = resolve_job_id(**session, options.jobId);
    if (!id) return report_error(id.error());
    InterruptToken interrupt;
    auto view = (*session)->call("claude_cancel", {{"jobId", *id}, {"graceSec", options.graceSec}},
                                 &interrupt.token());
    if (!view) return report_error(view.error());
    if (options.json) {
        std::printf("%s\n", view->dump(2).c_str());
        return kExitOk;
    }
    std::string line = view->value("jobId", "") + " " + view->value("status", "");
    if (view->contains("reason")) line += ": " + view->value("reason", "");
    std::printf("%s\n", clean_cell(line).c_str());
    if (view->contains("message")) std::fprintf(stderr, "%s\n", view->value("message", "").c_str());
    return kExitOk;
}

int run_gc(const GlobalOptions& global, bool asJson) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    int days = (*session)->config().retentionDays;
    int removed = (*session)->service().sweep();
    if (asJson) {
        std::printf("%s\n", json({{"removed", removed}, {"retentionDays", days}}).dump(2).c_str());
    } else if (days <= 0) {
        std::printf("retention is off (retentionDays is 0): nothing removed\n");
    } else {
        std::printf("removed %d job%s that ended more than %d day%s ago\n", removed,
                    removed == 1 ? "" : "s", days, days == 1 ? "" : "s");
    }
    return kExitOk;
}

}  // namespace cj::cli

// ls and show: the job list as a table, and one job's view as a person reads it. Both call
// the MCP tools (claude_jobs, claude_check) in this process.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/cli/commands.h"
#include "core/cli/job_ids.h"
#include "core/cli/table.h"
#include "core/util/clock.h"

namespace cj::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kDefaultWidth = 160;

// The terminal's own width, else $COLUMNS, else a wide default.
std::size_t terminal_width() {
    winsize size{};
    if (::ioctl(1, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
    if (const char* c = std::getenv("COLUMNS")) {
        long v = std::strtol(c, nullptr, 10);
        if (v > 20 && v < 10000) return static_cast<std::size_t>(v);
    }
    return kDefaultWidth;
}

std::string age_of(const json& item) {
    long long created = parse_iso8601_ms(item.value("createdAt", ""));
    return created ? short_duration(util::now_ms() - created) : "?";
}

// "unapplied 3 files", "applied", "" (no record).
std::string changes_cell(const json& item) {
    if (!item.contains("changes")) return "";
    if (!item.value("unappliedChanges", false)) {
        auto summary = item.value("changes", "");
        auto last = summary.rfind("; ");
        return last == std::string::npos ? "-" : summary.substr(last + 2);
    }
    auto summary = item.value("changes", "");
    auto files = summary.find(' ');
    auto end = summary.find(" (");
    return "unapplied " + summary.substr(files + 1, end - files - 1);
}

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

int run_ls(const GlobalOptions& global, const ListOptions& options) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    json args = {{"limit", options.limit}};
    if (!options.statuses.empty()) args["status"] = options.statuses;
    if (!options.label.empty()) args["label"] = options.label;
    if (options.owner == "mine" && !std::getenv("CLAUDE_CODE_SESSION_ID"))
        return report_error("--owner mine: this process does not know its session "
                            "(CLAUDE_CODE_SESSION_ID is not set)",
                            kExitUsage);
    if (options.owner != "all") args["owner"] = options.owner;
    auto listed = (*session)->call("claude_jobs", args);
    if (!listed) return report_error(listed.error());
    if (options.json) {
        print(listed->dump(2) + "\n");
        return kExitOk;
    }
    bool colour = colour_stdout();
    Table table({"ID", "STATUS", "BACKEND", "AGE", "CHANGES", "LABEL", "PROMPT"});
    for (const auto& job : (*listed)["jobs"]) {
        std::string status = job.value("status", "");
        table.add({job.value("jobId", ""), Cell(status, status_tone(status)),
                   job.value("backend", ""), age_of(job), changes_cell(job), job.value("label", ""),
                   job.value("promptPreview", "")});
    }
    if (table.empty()) {
        print("no jobs\n");
    } else {
        print(table.render(colour, colour ? terminal_width() : 0));
    }
    std::string counts;
    for (const auto& [state, n] : (*listed)["counts"].items())
        if (n.get<long long>() > 0)
            counts +=
                (counts.empty() ? "" : ", ") + std::to_string(n.get<long long>()) + " " + state;
    if (!counts.empty()) print(paint(counts, Tone::Dim, colour) + "\n");
    if (listed->contains("nextCursor"))
        print(paint("(more jobs: raise --limit)", Tone::Dim, colour) + "\n");
    return kExitOk;
}

int run_show(const GlobalOptions& global, const ShowOptions& options) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto id = resolve_job_id(**session, options.jobId);
    if (!id) return report_error(id.error());
    auto view = (*session)->call("claude_check", {{"jobId", *id}, {"tailBytes", options.tailBytes}});
    if (!view) return report_error(view.error());
    if (options.json) {
        print(view->dump(2) + "\n");
        return kExitOk;
    }
    bool colour = colour_stdout();
    const json& v = *view;
    std::string out;
    auto field = [&](const std::string& name, const std::string& value, Tone tone = Tone::Plain) {
        if (value.empty()) return;
        out += paint(name, Tone::Bold, colour) + std::string(10 - name.size(), ' ') +
               paint(clean_cell(value), tone, colour) + "\n";
    };
    std::string status = v.value("status", "");
    field("job", v.value("jobId", ""));
    field("status", status, status_tone(status));
    field("reason", v.value("reason", ""));
    if (v.contains("exitCode")) field("exit code", std::to_string(v["exitCode"].get<int>()));
    field("backend", v.value("backend", ""));
    field("folder", v.value("workFolder", ""));
    field("label", v.value("label", ""));
    field("created", v.value("createdAt", "") + " (" + age_of(v) + " ago)");
    field("started", v.value("startedAt", ""));
    field("ended", v.value("endedAt", ""));
    field("elapsed", short_duration(v.value("elapsedMs", 0LL)));
    field("session", v.value("sessionId", ""));
    const json& activity = v["activity"];
    field("turns", std::to_string(activity.value("turns", 0)));
    field("last tool", activity.value("lastTool", ""));
    if (v.contains("result")) {
        const json& r = v["result"];
        if (r.contains("costUsd") && r["costUsd"].is_number()) {
            char cost[32];
            std::snprintf(cost, sizeof cost, "$%.4f", r["costUsd"].get<double>());
            field("cost", cost);
        }
    }
    field("attach", v.value("attach", ""));
    if (v.contains("changes")) {
        const json& c = v["changes"];
        field("changes", c.value("summary", ""));
        field("patch", c.value("patchFile", ""));
        field("apply", c.value("applyCommand", ""));
        field("merge", c.value("mergeCommand", ""));
        field("checkout", c.value("checkout", ""));
    }
    // Text from the job reaches a terminal without its control characters.
    auto body = [&](const std::string& title, const std::string& text) {
        if (text.empty()) return;
        // Appended piece by piece: "\n" + a temporary string trips GCC 12's -Wrestrict.
        out += '\n';
        out += paint(title, Tone::Bold, colour);
        out += '\n';
        out += ::isatty(1) ? clean_text(text) : text;
        if (out.back() != '\n') out += "\n";
    };
    if (v.contains("result")) body("result", v["result"].value("text", ""));
    body("transcript (end)", v.value("output", ""));
    body("stderr (end)", v.value("stderrTail", ""));
    if (!out.empty() && out.back() != '\n') out += "\n";
    print(out);
    return kExitOk;
}

}  // namespace cj::cli

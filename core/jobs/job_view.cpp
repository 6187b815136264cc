#include "core/jobs/job_view.h"

#include "core/jobs/start_request.h"
#include "core/util/json_input.h"

#include <algorithm>
#include <climits>

#include <nlohmann/json.hpp>

#include "core/transcript/text.h"
#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs {

namespace {

constexpr std::size_t kStderrTailBytes = 2000;
constexpr std::size_t kMaxTailWindow = 4 << 20;
constexpr std::size_t kMinResultBytes = 16 << 10;
constexpr std::size_t kMaxDenialsShown = 20;
// An interactive job's last answer, shown whole up to this in activity.lastText.
constexpr std::size_t kInteractiveTextBytes = 16 << 10;
constexpr std::size_t kErrorBytes = 500;
// Room for the transcript's closing "[done: …]" line besides the final answer.
constexpr std::size_t kClosingLineBytes = 512;

// The offset just past the next newline at or after `from` (or `size` when there is none).
std::uint64_t skip_line(const std::string& path, std::uint64_t from, std::uint64_t size) {
    constexpr std::size_t kStep = 1 << 20;
    while (from < size) {
        auto chunk = util::read_range(path, from, kStep);
        if (!chunk || chunk->empty()) break;
        auto nl = chunk->find('\n');
        if (nl != std::string::npos) return from + nl + 1;
        from += chunk->size();
    }
    return size;
}

struct Page {
    std::string text;
    std::uint64_t next = 0;
};

// What is new since `start`: whole events only, so paging never loses text; one event
// longer than tailBytes is shown whole (it is bounded by the window).
Page page_since(const std::string& events, std::uint64_t size, std::uint64_t since,
                std::size_t tail) {
    std::uint64_t start = std::min<std::uint64_t>(since, size);
    std::size_t window = static_cast<std::size_t>(
        std::min<std::uint64_t>(size - start, std::max<std::size_t>(tail * 4, 1 << 20)));
    window = std::min(window, kMaxTailWindow);
    auto chunk = util::read_range(events, start, window);
    transcript::RenderedSpan span =
        chunk ? transcript::render_lines(*chunk, std::max<std::size_t>(tail, 1))
              : transcript::RenderedSpan{};
    Page page{span.text, start + span.consumed};
    if (span.consumed == 0 && chunk && chunk->size() == window && start + window < size) {
        // An event longer than the window: step over it, so the cursor always moves.
        std::uint64_t end = skip_line(events, start + window, size);
        page.text = "[an event of " + std::to_string(end - start) + " bytes is too long to show]\n";
        page.next = end;
    }
    return page;
}

// The last `tail` bytes of transcript: a window at the end of the log, widened until it
// yields enough text or reaches the start (or kMaxTailWindow), so a huge log costs a small read.
Page page_tail(const std::string& events, std::uint64_t size, std::size_t tail) {
    Page page{"", size};
    std::size_t window = std::max<std::size_t>(tail * 2, 16 << 10);
    for (;;) {
        window = std::min(window, kMaxTailWindow);
        std::uint64_t start = size > window ? size - window : 0;
        auto chunk = util::read_range(events, start, static_cast<std::size_t>(size - start));
        std::string_view text = chunk ? std::string_view(*chunk) : std::string_view();
        if (start > 0) {  // begin at the first whole line of the window
            auto nl = text.find('\n');
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        }
        transcript::RenderedSpan span = transcript::render_lines(text, SIZE_MAX);
        page.text = transcript::utf8_tail(span.text, tail);
        page.next = size - (text.size() - span.consumed);
        if (span.text.size() >= tail || start == 0 || window >= kMaxTailWindow) return page;
        window *= 4;
    }
}

// The final answer is in result.text: the transcript's tail leaves out its copy of it and
// the closing "[done: …]" line, whose figures the result holds too, and activity.lastText (its
// first line) goes. A model reading the view reads the answer once.
void drop_repeats(JobView& v, std::optional<std::size_t> tail) {
    // Rendered with room for the answer and the closing line (read_transcript): cut to the
    // tail asked for once they are gone, the marker kept whole at the end.
    struct Cut {
        std::string& out;
        std::optional<std::size_t> tail;
        ~Cut() {
            if (!tail || out.size() <= *tail) return;
            static constexpr std::string_view kMarker = "[the final answer: result.text]\n";
            bool marked = out.size() >= kMarker.size() &&
                          out.compare(out.size() - kMarker.size(), kMarker.size(), kMarker) == 0;
            // tailBytes is a bound: a marker that does not fit is left out too.
            std::string_view keep = marked && kMarker.size() <= *tail ? kMarker : std::string_view();
            if (marked && keep.empty()) out.resize(out.size() - kMarker.size());
            std::string rest = out.substr(0, out.size() - keep.size());
            std::size_t room = *tail > keep.size() ? *tail - keep.size() : 0;
            out = transcript::utf8_tail(rest, room) + std::string(keep);
        }
    } cut{v.output, tail};
    if (!v.result || v.result->truncated || v.interactive) return;
    const std::string& answer = v.result->summary.text;
    if (!answer.empty()) v.activity.lastText.clear();
    std::string& out = v.output;
    // The closing line: the last line, when it is the result's.
    std::size_t end = out.size();
    if (end > 0 && out[end - 1] == '\n') {
        std::size_t prev = end >= 2 ? out.rfind('\n', end - 2) : std::string::npos;
        std::size_t start = prev == std::string::npos ? 0 : prev + 1;
        std::string_view last(out.data() + start, end - start);
        if (last.rfind("[done: ", 0) == 0 || last.rfind("[error: ", 0) == 0) end = start;
    }
    if (end == out.size() || end == 0 || answer.empty()) {
        out.resize(end);
        return;
    }
    std::string said = answer.back() == '\n' ? answer : answer + "\n";
    std::string_view body(out.data(), end);
    if (body.size() >= said.size() &&
        body.compare(body.size() - said.size(), said.size(), said) == 0) {
        out.resize(end - said.size());
        out += "[the final answer: result.text]\n";
    } else if (said.size() >= body.size() &&
               said.compare(said.size() - body.size(), body.size(), body) == 0) {
        out = "[… the final answer: result.text]\n";  // the tail began inside the answer
    } else {
        out.resize(end);
    }
}

// The tail's size: smaller once the result holds the whole answer, when the caller says so.
std::size_t tail_bytes(const ViewOptions& options, const JobView& v) {
    if (options.answerOnce && options.answeredTailBytes && v.result && !v.result->truncated &&
        !v.result->summary.text.empty() && !v.interactive)
        return std::min(options.tailBytes, options.answeredTailBytes);
    return options.tailBytes;
}

}  // namespace

std::optional<ResultView> ViewBuilder::result_of(const JobRecord& job, const ScanSnapshot& snap,
                                                 const ViewOptions& options) const {
    std::optional<transcript::ResultSummary> result = snap.result;
    if (!result && !job.result.empty())
        result = transcript::ResultSummary::from_json(util::parse_json_or_discarded(job.result));
    if (!result) return std::nullopt;
    // Bounded like the transcript: a huge final answer must not make a huge reply.
    std::size_t limit = options.resultBytes
                            ? options.resultBytes
                            : std::max<std::size_t>(options.tailBytes, kMinResultBytes);
    ResultView r;
    r.summary = *result;
    if (result->text.size() > limit) {
        r.summary.text = transcript::utf8_head(result->text, limit);
        r.truncated = true;
        r.textBytes = result->text.size();
    }
    auto& denials = r.summary.permissionDenials;
    if (denials.is_array() && denials.size() > kMaxDenialsShown) {
        denials.erase(denials.begin() + kMaxDenialsShown, denials.end());
        r.truncated = true;
    }
    return r;
}

void ViewBuilder::read_transcript(const std::string& id, const ViewOptions& options,
                                  JobView& view) const {
    std::string events = dirs_.file(id, job_files::kEvents);
    std::uint64_t size = util::file_size(events).value_or(0);
    Page page{"", size};
    // The final answer and the closing line are left out of the tail (drop_repeats): render
    // enough to hold them besides the tail asked for.
    std::size_t room = options.answerOnce && view.result && !view.result->truncated
                           ? view.result->summary.text.size() + kClosingLineBytes
                           : 0;
    if (options.sinceOffset)
        page = page_since(events, size, *options.sinceOffset, options.tailBytes);
    else if (std::size_t tail = tail_bytes(options, view); tail > 0)
        page = page_tail(events, size, tail + room);
    view.output = std::move(page.text);
    view.nextOffset = page.next;
}

// An ended job's change record, written on the first view if nobody has yet, and its summary
// as the transcript's last line.
void ViewBuilder::add_changes(const ViewOptions& options, JobView& view) const {
    if (!changes_ || !is_terminal(view.job.state)) return;
    auto changes = changes_->record(view.job.id);
    if (!changes) {
        view.message = "its changes could not be recorded: " + changes.error().message;
        return;
    }
    if (!*changes) return;
    view.changes = std::move(**changes);
    if (!options.sinceOffset) view.output += "\n[" + view.changes->summary() + "]\n";
}

JobView ViewBuilder::build(const JobRecord& job, const ViewOptions& options) const {
    JobView v;
    v.job = job;
    std::int64_t from = job.startedAt ? job.startedAt : job.createdAt;
    std::int64_t to = job.endedAt ? job.endedAt : util::now_ms();
    v.elapsedMs = std::max<std::int64_t>(0, to - from);

    ScanSnapshot snap = events_.scan(job.id);
    v.result = result_of(job, snap, options);
    v.sessionId = !job.sessionId.empty() ? job.sessionId : snap.sessionId;
    v.activity = snap.activity;
    v.resumeOf = JobSettings::from_json(util::parse_json_or_discarded(job.spec)).resumeOf;
    if (auto interactive = read_interactive_state(dirs_.dir(job.id))) {
        if (is_terminal(job.state)) {
            interactive->state = "ended";
            interactive->question.clear();
        }
        interactive->lastText = transcript::utf8_head(interactive->lastText, kInteractiveTextBytes);
        interactive->error = transcript::one_line(interactive->error, kErrorBytes);
        v.interactive = std::move(*interactive);
    }
    read_transcript(job.id, options, v);
    if (options.answerOnce)
        drop_repeats(v, options.sinceOffset || tail_bytes(options, v) == 0
                            ? std::nullopt
                            : std::optional<std::size_t>(tail_bytes(options, v)));
    add_changes(options, v);
    if (job.endPending)
        v.message =
            "its end is not yet written to the job index (another claude-jobs process "
            "holds the index's write lock); it will be as soon as the index is free";
    v.stderrTail = read_stderr_tail(dirs_, job.id, kStderrTailBytes);
    // Also for an ended job, while its backend still keeps something to attach to (a tmux
    // session in its keep period).
    if (const BackendEntry* entry = backends_.find(job.backend);
        entry && entry->backend && entry->capabilities.attach && job.state != JobState::Queued)
        if (auto a = entry->backend->attachCommand(job.id)) v.attach = *a;
    return v;
}

}  // namespace cj::jobs

#include "core/jobs/waiter.h"

#include <map>
#include <utility>

#include "core/transcript/text.h"
#include "core/util/files.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);
constexpr auto kFullRefresh = std::chrono::milliseconds(500);
constexpr std::size_t kTailBytes = 4000;
// The final answer whole up to this; once a job has it, the tail shows only what led up to it.
constexpr std::size_t kResultBytes = 16 << 10;
constexpr std::size_t kAnsweredTailBytes = 1000;

// Whether an interactive job awaits input; its state file is read again only when it grew.
class InputWatch {
  public:
    explicit InputWatch(const JobDirs& dirs) : dirs_(dirs) {}
    bool awaits_input(const std::string& id) {
        auto& seen = seen_[id];
        auto size = util::file_size(dirs_.file(id, job_files::kInteractive));
        if (size && *size != seen.first) {
            auto interactive = read_interactive_state(dirs_.dir(id));
            seen = {*size, interactive && jobs::awaits_input(*interactive)};
        }
        return size && seen.second;
    }

  private:
    const JobDirs& dirs_;
    std::map<std::string, std::pair<std::uint64_t, bool>> seen_;  // size read, awaited input
};

}  // namespace

Result<WaitOutcome> Waiter::wait(const std::vector<std::string>& ids, WaitMode mode,
                                 std::chrono::milliseconds timeout, util::CancelToken& cancel,
                                 const std::function<void(const WaitOutcome&)>& progress) {
    std::map<std::string, JobRecord> jobs;
    std::string unknown;
    for (const auto& id : ids) {
        auto job = reconciler_.load(id);
        if (job)
            jobs[id] = *job;
        else if (job.error().code == ErrorCode::NotFound)
            unknown += (unknown.empty() ? "" : ", ") + transcript::one_line(id, 80);
        else
            return job.error();  // "busy" is not "gone"
    }
    if (!unknown.empty()) return make_error(ErrorCode::NotFound, "no such job: " + unknown);

    auto started = std::chrono::steady_clock::now();
    auto deadline = started + std::min<std::chrono::milliseconds>(timeout, kMaxWait);
    auto next_full = started;
    auto next_progress = started + std::chrono::seconds(1);
    ViewOptions options;
    options.tailBytes = kTailBytes;
    options.resultBytes = kResultBytes;
    options.answeredTailBytes = kAnsweredTailBytes;
    InputWatch input(dirs_);
    for (;;) {
        auto now = std::chrono::steady_clock::now();
        bool full = now >= next_full;
        if (full) next_full = now + kFullRefresh;
        WaitOutcome out;
        std::vector<JobRecord> done;
        for (const auto& id : ids) {
            JobRecord& job = jobs[id];
            if (!is_terminal(job.state) &&
                (full || util::file_size(dirs_.file(id, job_files::kExit)).has_value())) {
                auto fresh = reconciler_.current(id);
                if (!fresh) return fresh.error();
                job = *fresh;
            }
            bool waiting = job.state == JobState::Running && input.awaits_input(id);
            if (is_terminal(job.state) || waiting)
                done.push_back(job);
            else
                out.pending.push_back(id);
        }
        bool satisfied = out.pending.empty() || (mode == WaitMode::Any && !done.empty());
        now = std::chrono::steady_clock::now();
        if (satisfied || now >= deadline || cancel.cancelled()) {
            for (const auto& j : done) out.done.push_back(views_.build(j, options));
            out.timedOut = !satisfied && now >= deadline;
            return out;
        }
        if (now >= next_progress && progress) {
            progress(out);
            next_progress = now + std::chrono::seconds(1);
        }
        cancel.wait_for(kPoll);
    }
}

}  // namespace cj::jobs

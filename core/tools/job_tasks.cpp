// The job store as MCP tasks: tools::Tasks over jobs::JobService (docs/protocol.md, "Tasks").
#include "core/tools/job_tasks.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/jobs/interactive_state.h"
#include "core/tools/args.h"
#include "core/tools/job_resources.h"
#include "core/tools/job_tools.h"
#include "core/tools/job_view_json.h"
#include "core/transcript/text.h"
#include "core/util/ids.h"

namespace cj::tools {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {

constexpr const char* kTaskTool = "claude_start";
constexpr int kTaskPageSize = 50;
constexpr std::size_t kTaskResultTailBytes = 8000;  // claude_check's defaults
constexpr std::size_t kTaskResultAnsweredTailBytes = 1000;

std::string quoted_task_id(const std::string& id) {
    return "\"" + transcript::one_line(id, 100) + "\"";
}

// A name for the input an interactive job awaits now: its last answer and question differ
// from one wait for input to the next, so the key does too.
std::string input_key(const jobs::InteractiveState& state) {
    auto h = std::hash<std::string>{}(state.state + '\n' + state.question + '\n' + state.lastText);
    char buf[32];
    std::snprintf(buf, sizeof buf, "input-%016zx", static_cast<std::size_t>(h));
    return buf;
}

class JobTasks {
  public:
    JobTasks(jobs::JobService& service, JobTaskOptions options)
        : service_(service), options_(options), ttl_(task_ttl_ms(service.config())) {}

    // A job of this connection, as its row says now.
    Result<jobs::JobRecord> own_job(const std::string& id) const {
        if (!util::is_valid_job_id(id))
            return make_error(
                ErrorCode::NotFound,
                "no task " + quoted_task_id(id) +
                    ": a task id is the jobId a task-augmented claude_start (or "
                    "claude_start) gave out, matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
        auto row = service_.index().get(id);
        if (!row) return row.error();
        if (!*row)
            return make_error(ErrorCode::NotFound,
                              "no task " + quoted_task_id(id) +
                                  ": no such job (ended jobs are removed after the server's "
                                  "retentionDays)");
        if ((*row)->owner.instance != service_.self().instance)
            return make_error(ErrorCode::PermissionDenied,
                              "task " + quoted_task_id(id) +
                                  " belongs to another connection: only the connection that "
                                  "started a job follows it as a task; claude_check and "
                                  "claude_wait show any job");
        return **row;
    }

    TaskInfo info(const jobs::JobRecord& job,
                  const std::optional<jobs::InteractiveState>& interactive) const {
        TaskInfo t;
        t.taskId = job.id;
        t.status = jobs::task_status(job.state);
        bool terminal = jobs::is_terminal(job.state);
        if (!terminal && interactive && jobs::awaits_input(*interactive)) {
            t.status = "input_required";
            t.statusMessage = interactive->question.empty()
                                  ? "waiting for its next input (claude_send)"
                                  : "asking: " + transcript::one_line(interactive->question, 300);
            t.inputKey = input_key(*interactive);
        } else if (terminal) {
            t.statusMessage = jobs::state_name(job.state);
            if (!job.reason.empty()) t.statusMessage += ": " + job.reason;
        } else if (job.state == jobs::JobState::Queued) {
            t.statusMessage = "queued: waiting for a free slot (maxConcurrentJobs)";
        } else {
            t.statusMessage = "running on " + job.backend;
            if (job.cancelRequested)
                t.statusMessage += ", stopping (cancel requested)";
            else if (!job.waiting.empty())
                t.statusMessage += ": " + job.waiting;
        }
        t.createdAt = job.createdAt;
        t.lastUpdatedAt = std::max({job.createdAt, job.claimedAt, job.startedAt, job.endedAt});
        t.ttlMs = ttl_;
        t.pollIntervalMs = terminal ? 0 : options_.pollInterval.count();
        return t;
    }

    // The interactive state of a job that runs (nullopt for any other).
    std::optional<jobs::InteractiveState> interactive_of(const jobs::JobRecord& job) const {
        if (job.state != jobs::JobState::Running) return std::nullopt;
        return jobs::read_interactive_state(service_.job_dir(job.id));
    }

    // The task now: the row brought up to date from the job's files.
    Result<TaskInfo> current(const std::string& id) {
        jobs::ViewOptions options;
        options.tailBytes = 0;
        options.resultBytes = 1;
        auto view = service_.check(id, options);
        if (!view) return view.error();
        return info(view->job, view->interactive);
    }

    Result<TaskInfo> create(const std::string& tool, const json& args,
                            std::optional<std::int64_t> /*requestedTtlMs*/, RequestContext& ctx) {
        // The requested ttl is not kept: every job stays for the server's retention, which
        // the task reports (docs/protocol.md).
        if (tool != kTaskTool)
            return make_error(
                ErrorCode::InvalidArgument,
                "tool " + quoted_task_id(tool) + " does not run as a task; " + kTaskTool + " does");
        StartArgs a;
        try {
            a = read_start_args(args, ctx);
        } catch (const ArgumentError& e) {
            return make_error(ErrorCode::InvalidArgument, e.message);
        }
        if (a.waitSec > 0)
            return make_error(ErrorCode::InvalidArgument,
                              "waitSec does not apply to a task: tasks/result waits for its end");
        auto started = start_job(service_, a.request, false, ctx);
        if (!started) return started.error();
        if (started->job.owner.instance != service_.self().instance)
            return make_error(ErrorCode::PermissionDenied,
                              "idempotencyKey names job " + started->job.id +
                                  " of another connection; it cannot be this connection's task");
        // The client follows a task itself (tasks/get, its notifications) and tells its model
        // of the end — Claude Code starts a turn in an idle session for it — so the server's
        // own wake paths (channel, Stop hook, monitor) stay silent for this job
        // (docs/notifications.md, "A job the host follows").
        for (auto path : {jobs::WakePath::Channel, jobs::WakePath::Hook})
            if (auto claimed = service_.wake_marks().claim(started->job.id, path); !claimed)
                spdlog::warn("task {}: cannot keep the {} from telling its end again: {}",
                             started->job.id, jobs::wake_path_name(path),
                             claimed.error().message);
        return info(started->job, std::nullopt);
    }

    Result<TaskInfo> get(const std::string& id) {
        auto job = own_job(id);
        if (!job) return job.error();
        return current(id);
    }

    Result<TaskInfo> wait(const std::string& id, std::chrono::milliseconds bound,
                          util::CancelToken& cancel,
                          const std::function<void(const TaskInfo&)>& progress) {
        auto job = own_job(id);
        if (!job) return job.error();
        if (jobs::is_terminal(job->state)) return current(id);
        std::function<void(const jobs::WaitOutcome&)> tick;
        if (progress)
            tick = [this, &id, &progress](const jobs::WaitOutcome&) {
                if (auto row = service_.index().get(id); row && *row)
                    progress(info(**row, std::nullopt));
            };
        auto waited = service_.wait({id}, jobs::WaitMode::Any, bound, cancel, tick);
        if (!waited) return waited.error();
        if (!waited->done.empty())
            return info(waited->done.front().job, waited->done.front().interactive);
        return current(id);
    }

    Result<ToolResult> result(const std::string& id) {
        auto job = own_job(id);
        if (!job) return job.error();
        jobs::ViewOptions options;
        options.tailBytes = kTaskResultTailBytes;
        options.answeredTailBytes = kTaskResultAnsweredTailBytes;
        auto view = service_.check(id, options);
        if (!view) return view.error();
        if (!jobs::is_terminal(view->job.state))
            return make_error(ErrorCode::InvalidArgument, "task " + quoted_task_id(id) +
                                                              " has not ended: it is " +
                                                              jobs::state_name(view->job.state));
        // claude_start's reply as it is with a waitSec the job ended within: valid against
        // its output schema.
        jobs::StartOutcome shown;
        shown.job = view->job;
        shown.attach = view->attach;
        json out = start_json(shown);
        out["job"] = to_json(*view);
        ToolResult r{std::move(out), false};
        r.brief = r.structured;
        r.brief["job"] = view_brief(r.structured["job"]);
        r.links.push_back(job_resource_link(view->job));
        return r;
    }

    Result<TaskPage> list(const std::string& cursor) {
        jobs::ListFilter filter;
        filter.limit = kTaskPageSize;
        filter.owner = jobs::JobOwner{service_.self().instance, "", "", ""};
        if (!cursor.empty()) {
            auto before = parse_list_cursor(cursor);
            if (!before)
                return make_error(ErrorCode::InvalidArgument,
                                  "unknown cursor: pass the nextCursor of the page before");
            filter.beforeSeq = *before;
        }
        auto listed = service_.list(filter);
        if (!listed) return listed.error();
        TaskPage page;
        for (const auto& job : listed->jobs) page.tasks.push_back(info(job, interactive_of(job)));
        if (listed->nextBeforeSeq) page.nextCursor = std::to_string(listed->nextBeforeSeq);
        return page;
    }

    Result<TaskInfo> cancel(const std::string& id) {
        auto job = own_job(id);
        if (!job) return job.error();
        util::CancelToken never;
        auto view = service_.cancel(id, options_.cancelGraceSec, never);
        if (!view) return view.error();
        return info(view->job, view->interactive);
    }

    Result<TaskInfo> input(const std::string& id, const std::string& text) {
        auto job = own_job(id);
        if (!job) return job.error();
        auto view = service_.send(id, text);
        if (!view) return view.error();
        return info(view->job, view->interactive);
    }

    // Status changes of this connection's jobs, from the transitions log: a change between
    // two states with the same task status (queued → running) is none.
    std::function<void()> watch(std::function<void(const TaskInfo&)> onChange) {
        std::string self = service_.self().instance;
        auto& feed = service_.transitions();
        int id =
            feed.subscribe([this, self, onChange = std::move(onChange)](const jobs::Transition& t) {
                if (t.ownerInstance != self) return;
                if (t.from && std::string(jobs::task_status(*t.from)) == jobs::task_status(t.to))
                    return;
                jobs::JobRecord job;
                if (auto row = service_.index().get(t.jobId); row && *row) job = **row;
                job.id = t.jobId;
                job.state = t.to;  // the change told, even when the row has moved on since
                job.reason = t.reason;
                if (!job.createdAt) job.createdAt = t.at;
                TaskInfo told = info(job, std::nullopt);
                told.lastUpdatedAt = t.at;
                onChange(told);
            });
        return [&feed, id] { feed.unsubscribe(id); };
    }

  private:
    jobs::JobService& service_;
    JobTaskOptions options_;
    std::optional<std::int64_t> ttl_;
};

}  // namespace

std::optional<std::int64_t> task_ttl_ms(const config::Config& config) {
    if (config.retentionDays <= 0) return std::nullopt;
    return std::int64_t{config.retentionDays} * 86400 * 1000;
}

Tasks make_job_tasks(jobs::JobService& service, JobTaskOptions options) {
    auto impl = std::make_shared<JobTasks>(service, options);
    Tasks t;
    t.taskTools = {kTaskTool};
    t.runsAsTask = [](const std::string&, const json& args) {
        auto wait = args.find("waitSec");
        return wait == args.end() || !wait->is_number() || wait->get<double>() <= 0;
    };
    t.create = [impl](const std::string& tool, const json& args, std::optional<std::int64_t> ttl,
                      RequestContext& ctx) { return impl->create(tool, args, ttl, ctx); };
    t.get = [impl](const std::string& id) { return impl->get(id); };
    t.wait = [impl](const std::string& id, std::chrono::milliseconds bound,
                    util::CancelToken& cancel,
                    const std::function<void(const TaskInfo&)>& progress) {
        return impl->wait(id, bound, cancel, progress);
    };
    t.result = [impl](const std::string& id) { return impl->result(id); };
    t.list = [impl](const std::string& cursor) { return impl->list(cursor); };
    t.cancel = [impl](const std::string& id) { return impl->cancel(id); };
    t.input = [impl](const std::string& id, const std::string& text) {
        return impl->input(id, text);
    };
    t.watch = [impl](std::function<void(const TaskInfo&)> onChange) {
        return impl->watch(std::move(onChange));
    };
    return t;
}

}  // namespace cj::tools

#include "core/jobs/job_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/jobs/interactive_state.h"
#include "core/jobs/outcome.h"
#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/ids.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kPreviewBytes = 120;
constexpr std::size_t kStderrTailBytes = 2000;
constexpr std::size_t kExitRecordMaxBytes = 64 * 1024;
constexpr std::uint64_t kScanChunk = 4 << 20;
constexpr std::size_t kMaxTailWindow = 4 << 20;
// A running row without a handle is a launch in progress; past this, its launcher died.
constexpr std::int64_t kLaunchGraceMs = 120 * 1000;
// Ended jobs whose backend still holds something, freed per sweep.
constexpr int kReleaseBatch = 100;
constexpr auto kWaitPoll = std::chrono::milliseconds(10);
constexpr auto kFullRefresh = std::chrono::milliseconds(500);
// A wait never holds a tool call near the 50 s a client may allow it.
constexpr auto kMaxWaitBudget = std::chrono::milliseconds(48000);
constexpr std::size_t kWaitTailBytes = 4000;
constexpr std::size_t kWaitResultBytes = 4000;
constexpr std::size_t kMinResultBytes = 16 << 10;
constexpr std::size_t kMaxDenialsShown = 20;
// An interactive job's last answer, shown whole up to this in activity.lastText.
constexpr std::size_t kInteractiveTextBytes = 16 << 10;
// A cancelled job still running gets its stop again this often (the first may have been
// lost to a race with its launch, or sent from a process without its backend).
constexpr auto kRestopInterval = std::chrono::seconds(5);
constexpr std::size_t kMaxScanCache = 2000;
// The supervisor refuses limits past a year; longer means "none that matters".
constexpr std::int64_t kMaxSupervisorTimeoutSec = 365LL * 86400;

std::string preview(const std::string& prompt) { return one_line(prompt, kPreviewBytes); }

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

bool is_uuid(const std::string& s) {
    static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                               "[0-9a-fA-F]{12}$");
    return std::regex_match(s, re);
}

bool inside(const std::string& path, const std::string& root) {
    if (root == "/") return true;
    return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                            path[root.size()] == '/');
}

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return {};
    return buf;
}

// An end noticed while listing moves the job from one state's count to another's.
void move_count(std::vector<std::pair<JobState, std::int64_t>>& counts, JobState from, JobState to) {
    for (auto& [state, n] : counts)
        if (state == from) --n;
    for (auto& [state, n] : counts)
        if (state == to) {
            ++n;
            return;
        }
    counts.emplace_back(to, 1);
}

}  // namespace

JobService::JobService(config::Config config, JobIndex& index, BackendSet& backends, int depth,
                       std::vector<std::string> baseEnv)
    : config_(std::move(config)),
      index_(index),
      backends_(backends),
      depth_(depth),
      baseEnv_(std::move(baseEnv)) {}

std::string JobService::job_dir(const std::string& id) const {
    return config_.stateDir + "/jobs/" + id;
}

Result<std::string> JobService::resolve_work_folder(const std::string& requested) {
    std::string folder = requested;
    if (folder.empty()) folder = config_.defaultWorkFolder;
    if (folder.empty()) {
        char buf[PATH_MAX];
        if (!::getcwd(buf, sizeof buf))
            return make_error(ErrorCode::InvalidArgument, "no workFolder given and no default");
        folder = buf;
    }
    if (folder.find('\0') != std::string::npos)
        return make_error(ErrorCode::InvalidArgument, "workFolder contains a NUL character");
    if (folder[0] != '/')
        return make_error(ErrorCode::InvalidArgument,
                          "workFolder must be an absolute path, got \"" + one_line(folder, 200) +
                              "\"");
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        return make_error(ErrorCode::InvalidArgument,
                          "workFolder \"" + one_line(folder, 200) + "\" is not an existing folder");
    std::string real = real_path(folder);
    if (real.empty())
        return make_error(ErrorCode::InvalidArgument,
                          "workFolder \"" + one_line(folder, 200) + "\" cannot be resolved");
    if (!config_.allowedWorkFolders.empty()) {
        bool ok = false;
        for (const auto& root : config_.allowedWorkFolders) {
            std::string real_root = real_path(root);
            if (!real_root.empty() && inside(real, real_root)) ok = true;
        }
        if (!ok) {
            std::string roots;
            for (const auto& r : config_.allowedWorkFolders) roots += (roots.empty() ? "" : ", ") + r;
            return make_error(ErrorCode::PermissionDenied,
                              "workFolder " + real + " is outside allowedWorkFolders (" + roots +
                                  ")");
        }
    }
    return real;
}

Result<std::string> JobService::resolve_resume(const StartRequest& r) {
    if (!r.resumeSessionId.empty() && !r.resumeJobId.empty())
        return make_error(ErrorCode::InvalidArgument,
                          "give resumeSessionId or resumeJobId, not both");
    if (!r.resumeSessionId.empty()) {
        if (!is_uuid(r.resumeSessionId))
            return make_error(ErrorCode::InvalidArgument,
                              "resumeSessionId must be a session UUID (as in result.sessionId)");
        return r.resumeSessionId;
    }
    if (!r.resumeJobId.empty()) {
        if (!util::is_valid_job_id(r.resumeJobId))
            return make_error(ErrorCode::NotFound, "no job " + one_line(r.resumeJobId, 80));
        auto job = load(r.resumeJobId);
        if (!job) return job.error();
        std::string session = job->sessionId;
        if (session.empty()) session = scan(job->id).sessionId;
        if (session.empty())
            return make_error(ErrorCode::InvalidArgument,
                              "job " + job->id + " has no session to resume yet (it is " +
                                  state_name(job->state) + " and claude has not started a session)");
        return session;
    }
    if (r.forkSession)
        return make_error(ErrorCode::InvalidArgument,
                          "forkSession needs resumeSessionId or resumeJobId");
    return std::string();
}

Result<StartOutcome> JobService::start(const StartRequest& r) {
    if (depth_ >= config_.maxDepth)
        return make_error(ErrorCode::LimitReached,
                          "this server runs inside a job at depth " + std::to_string(depth_) +
                              " (maxDepth " + std::to_string(config_.maxDepth) +
                              "): it starts no further jobs, to stop runaway recursion");
    if (!r.idempotencyKey.empty()) {
        auto existing = index_.find_by_idempotency_key(r.idempotencyKey);
        if (!existing) return existing.error();
        if (*existing) {
            StartOutcome out;
            out.job = **existing;
            out.existing = true;
            return out;
        }
    }
    if (r.prompt.empty())
        return make_error(ErrorCode::InvalidArgument, "prompt must not be empty");
    if (static_cast<std::int64_t>(r.prompt.size()) > config_.limits.maxPromptBytes)
        return make_error(ErrorCode::InvalidArgument,
                          "prompt is " + std::to_string(r.prompt.size()) + " bytes; the limit is " +
                              std::to_string(config_.limits.maxPromptBytes));
    std::string id = r.jobId;
    if (id.empty()) {
        id = util::new_job_id();
    } else if (!util::is_valid_job_id(id)) {
        return make_error(ErrorCode::InvalidArgument,
                          "jobId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    }
    auto folder = resolve_work_folder(r.workFolder);
    if (!folder) return folder.error();
    std::string backend = config::choose_backend(config_, r.backend, *folder);
    const BackendEntry* entry = backends_.find(backend);
    if (!entry)
        return make_error(ErrorCode::InvalidArgument, "unknown backend \"" + one_line(backend, 80) +
                                                          "\"; configured: " + backends_.names());
    if (auto h = backends_.health(*entry); !h) return h.error();
    auto session = resolve_resume(r);
    if (!session) return session.error();

    JobSettings settings;
    settings.model = r.model;
    settings.permissionMode = r.permissionMode.value_or(config_.claude.permissionMode);
    settings.allowedTools = r.allowedTools;
    settings.disallowedTools = r.disallowedTools;
    settings.resumeSessionId = *session;
    settings.forkSession = r.forkSession;
    settings.maxBudgetUsd = r.maxBudgetUsd;
    settings.timeoutSec = config_.defaultTimeoutSec;
    if (r.timeoutSec) {
        if (*r.timeoutSec <= 0)
            return make_error(ErrorCode::InvalidArgument, "timeoutSec must be positive");
        if (config_.maxTimeoutSec > 0 && *r.timeoutSec > config_.maxTimeoutSec)
            return make_error(ErrorCode::InvalidArgument,
                              "timeoutSec " + std::to_string(*r.timeoutSec) +
                                  " is over the limit of " + std::to_string(config_.maxTimeoutSec));
        settings.timeoutSec = *r.timeoutSec;
    }

    // The folder and prompt come first: a row that any server may launch must find them.
    std::string dir = job_dir(id);
    if (auto made = util::make_private_dirs(config_.stateDir + "/jobs"); !made) return made.error();
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            return make_error(ErrorCode::AlreadyExists, "a job with id " + id + " exists");
        return make_error(ErrorCode::Unavailable,
                          "cannot create job folder " + dir + ": " + std::strerror(errno), errno);
    }
    // Not fsynced: the prompt is also in the job index, whose commit below is, and a launch
    // writes the file again from there if a power cut lost it.
    if (auto w = util::write_new_file(dir + "/prompt.txt", r.prompt, false); !w) {
        util::remove_tree(dir);
        return w.error();
    }
    LaunchPlan plan;
    plan.claudePath = config_.claude.path;
    plan.args = claude_args(settings, config_.claude);
    plan.env = job_environment(baseEnv_, config_.claude, id, depth_ + 1);
    plan.timeoutSec = std::min(settings.timeoutSec, kMaxSupervisorTimeoutSec);

    JobRecord draft;
    draft.id = id;
    draft.backend = backend;
    draft.label = r.label;
    draft.promptPreview = preview(r.prompt);
    draft.workFolder = *folder;
    draft.spec = settings.to_json().dump();
    draft.idempotencyKey = r.idempotencyKey;
    draft.createdAt = util::now_ms();
    auto inserted = index_.insert(draft, config_.maxConcurrentJobs, LaunchInputs{r.prompt, plan.to_json()});
    if (!inserted) {
        util::remove_tree(dir);
        return inserted.error();
    }
    StartOutcome out;
    out.existing = inserted->existing;
    if (inserted->existing) {
        util::remove_tree(dir);  // lost a race with the same key: that job is the answer
        out.job = inserted->job;
        return out;
    }
    out.job = inserted->job;
    if (out.job.state == JobState::Running) {
        launch(out.job);
        auto now = load(id);
        if (!now) return now.error();
        out.job = *now;
        // Only a job that never got a handle failed to launch; one that did may simply have
        // ended already (a container job can run to its end while `run` returns).
        if (out.job.state == JobState::Failed && out.job.handle.empty())
            return make_error(ErrorCode::Unavailable,
                              "job " + id + " could not be launched: " + out.job.reason);
    } else {
        auto active = index_.active();
        if (active) {
            std::int64_t position = 0;
            for (const auto& j : *active)
                if (j.state == JobState::Queued) {
                    ++position;
                    if (j.id == id) break;
                }
            out.queuePosition = position;
        }
    }
    if (entry->capabilities.attach && entry->backend)
        if (auto a = entry->backend->attachCommand(id)) out.attach = *a;
    return out;
}

void JobService::launch(JobRecord job) {
    std::lock_guard<std::mutex> lock(launchMutex_);
    const BackendEntry* entry = backends_.find(job.backend);
    auto fail = [&](const std::string& why) { record_end(job, JobState::Failed, std::nullopt, why); };
    if (!entry || !entry->backend) {
        fail("could not launch: backend \"" + job.backend + "\" is not available here");
        return;
    }
    std::string dir = job_dir(job.id);
    auto inputs = index_.launch_inputs(job.id);
    std::optional<LaunchPlan> plan;
    if (inputs && *inputs) plan = LaunchPlan::from_json((*inputs)->plan);
    if (!plan) {
        fail("could not launch: its launch plan is missing from the job index");
        return;
    }
    // The prompt file was not fsynced when the job was accepted: make sure it is whole.
    std::string prompt_path = dir + "/prompt.txt";
    if (util::file_size(prompt_path) != (*inputs)->prompt.size()) {
        if (auto w = util::write_file_atomic(dir, "prompt.txt", (*inputs)->prompt); !w) {
            fail("could not launch: " + w.error().message);
            return;
        }
    }
    claude_jobs::JobSpec spec;
    spec.jobId = job.id;
    spec.jobDir = dir;
    spec.workFolder = job.workFolder;
    spec.claudePath = plan->claudePath;
    spec.claudeArgs = plan->args;
    spec.env = plan->env;
    spec.timeoutSec = plan->timeoutSec;
    spec.label = job.label;
    auto handle = entry->backend->start(spec);
    if (!handle) {
        fail("could not launch: " + handle.error().message);
        return;
    }
    backends_.mark_known(job.id);
    auto recorded = index_.set_launched(job.id, handle_to_json(*handle), util::now_ms());
    if (!recorded || !*recorded) {
        // Either the index failed, or the job was recorded as ended meanwhile: what was just
        // launched must not run unrecorded.
        entry->backend->stop(job.id, 0);
        if (recorded && entry->backend->destroy(job.id)) index_.release(job.id);
        backends_.forget(job.id);
        if (!recorded) {
            spdlog::error("job {}: launched but not recorded: {}", job.id, recorded.error().message);
            fail("could not record the launch: " + recorded.error().message);
        }
        return;
    }
    index_.forget_launch_inputs(job.id);  // the plan holds the environment: keep it no longer
    spdlog::info("job {} launched on backend {}", job.id, job.backend);
    // A cancel that arrived while launching had no handle to act on: act now.
    if (auto now = index_.get(job.id); now && *now && (*now)->cancelRequested)
        entry->backend->stop(job.id, (*now)->cancelGraceSec);
}

Result<JobRecord> JobService::load(const std::string& id) {
    if (!util::is_valid_job_id(id))
        return make_error(ErrorCode::NotFound, "no job \"" + one_line(id, 80) + "\"");
    auto row = index_.get(id);
    if (!row) return row.error();
    if (!*row) return make_error(ErrorCode::NotFound, "no job " + id);
    return **row;
}

JobRecord JobService::record_end(const JobRecord& job, JobState state,
                                 std::optional<int> exitCode, const std::string& reason,
                                 const ScanSnapshot* scanned) {
    ScanSnapshot snap = scanned ? *scanned : scan(job.id);
    std::string result = snap.result ? snap.result->to_json().dump() : "";
    auto changed = index_.finish(job.id, state, exitCode, one_line(reason, 500), result,
                                 snap.sessionId, util::now_ms());
    if (!changed) spdlog::error("job {}: cannot record its end: {}", job.id, changed.error().message);
    if (changed && *changed) {
        spdlog::info("job {} {}: {}", job.id, state_name(state), reason);
        // A backend that does not know the job here (never recovered in this process) is
        // left for release_held(), which recovers it first.
        if (const BackendEntry* entry = backends_.find(job.backend); entry && entry->backend)
            if (entry->backend->destroy(job.id)) index_.release(job.id);
        backends_.forget(job.id);
        std::lock_guard<std::mutex> lock(stopMutex_);
        stopsSent_.erase(job.id);
    }
    auto now = index_.get(job.id);
    return now && *now ? **now : job;
}

Result<JobRecord> JobService::finalize_from_exit(const JobRecord& job, const std::string& exitText) {
    auto exit = parse_exit_record(exitText);
    if (!exit) {
        // Written atomically, so a bad record was damaged after the fact: say so.
        return record_end(job, JobState::Failed, std::nullopt,
                          "the exit record exit.json is unreadable");
    }
    auto snap = scan(job.id);
    Outcome outcome = decide_outcome(*exit, snap.result, job.cancelRequested, stderr_tail(job.id));
    return record_end(job, outcome.state, outcome.exitCode, outcome.reason, &snap);
}

Result<JobRecord> JobService::refresh(JobRecord job) {
    if (job.state != JobState::Running) return job;
    std::string dir = job_dir(job.id);
    auto read_exit = [&]() { return util::read_file(dir + "/exit.json", kExitRecordMaxBytes); };
    auto exit_text = read_exit();
    // Only a missing record means "no record": a read that failed (EMFILE, EIO) says
    // nothing, and must not turn a finished job into an orphan.
    if (!exit_text) {
        spdlog::warn("job {}: {}", job.id, exit_text.error().message);
        return job;
    }
    if (*exit_text) return finalize_from_exit(job, **exit_text);
    if (job.handle.empty()) {
        if (job.claimedAt > 0 && util::now_ms() - job.claimedAt > kLaunchGraceMs)
            return record_end(job, JobState::Failed, std::nullopt,
                              "the server stopped while launching it");
        return job;
    }
    auto attached = attach(job);
    if (!attached) {
        if (attached.error().code == ErrorCode::Unavailable) return job;  // nothing here can judge it
        return record_end(job, JobState::Orphaned, std::nullopt, attached.error().message);
    }
    const BackendEntry* entry = *attached;
    auto status = entry->backend->status(job.id);
    if (!status) return job;
    if (status->state == claude_jobs::RunState::Running) return job;
    // It ended: the supervisor may have written its record just after the first look.
    exit_text = read_exit();
    if (!exit_text) return job;
    if (*exit_text) return finalize_from_exit(job, **exit_text);
    if (status->state == claude_jobs::RunState::Exited) {
        ExitRecord exit;
        if (status->signal) exit.signal = status->signal;
        else exit.exitCode = status->exitCode;
        auto snap = scan(job.id);
        Outcome outcome = decide_outcome(exit, snap.result, job.cancelRequested, "");
        return record_end(job, outcome.state, outcome.exitCode, outcome.reason, &snap);
    }
    entry->backend->stop(job.id, 0);  // end whatever the vanished supervisor left running
    if (job.cancelRequested)
        return record_end(job, JobState::Cancelled, std::nullopt,
                          "cancelled by request (" + status->reason + ")");
    return record_end(job, JobState::Orphaned, std::nullopt,
                      status->reason.empty() ? "its supervisor vanished" : status->reason);
}

std::string JobService::stderr_tail(const std::string& id) const {
    std::string path = job_dir(id) + "/stderr.log";
    auto size = util::file_size(path).value_or(0);
    auto tail = util::read_range(path, size > kStderrTailBytes ? size - kStderrTailBytes : 0,
                                 kStderrTailBytes);
    return tail ? utf8_tail(*tail, kStderrTailBytes) : "";
}

JobService::ScanSnapshot JobService::scan(const std::string& id) {
    std::shared_ptr<ScanState> state;
    {
        std::lock_guard<std::mutex> lock(scanMutex_);
        auto found = scans_.find(id);
        if (found == scans_.end()) {
            if (scans_.size() >= kMaxScanCache) {  // forget the least recently read job
                auto oldest = std::min_element(scans_.begin(), scans_.end(), [](auto& a, auto& b) {
                    return a.second->lastUsed < b.second->lastUsed;
                });
                scans_.erase(oldest);
            }
            found = scans_.emplace(id, std::make_shared<ScanState>()).first;
        }
        found->second->lastUsed = ++scanClock_;
        state = found->second;
    }
    std::lock_guard<std::mutex> lock(state->mutex);
    std::string path = job_dir(id) + "/events.jsonl";
    auto size = util::file_size(path).value_or(0);
    if (size < state->fed) {  // the file was replaced: start over
        state->scanner = EventScanner();
        state->fed = 0;
    }
    while (state->fed < size) {
        auto chunk = util::read_range(path, state->fed,
                                      static_cast<std::size_t>(std::min(kScanChunk, size - state->fed)));
        if (!chunk || chunk->empty()) break;
        state->scanner.feed(*chunk);
        state->fed += chunk->size();
    }
    return ScanSnapshot{state->scanner.activity(), state->scanner.sessionId(),
                        state->scanner.result()};
}

json JobService::view(const JobRecord& job, const ViewOptions& options) {
    std::string dir = job_dir(job.id);
    json v;
    v["jobId"] = job.id;
    v["status"] = state_name(job.state);
    if (!job.reason.empty()) v["reason"] = job.reason;
    if (job.exitCode) v["exitCode"] = *job.exitCode;
    v["backend"] = job.backend;
    v["workFolder"] = job.workFolder;
    if (!job.label.empty()) v["label"] = job.label;
    v["createdAt"] = util::iso8601(job.createdAt);
    if (job.startedAt) v["startedAt"] = util::iso8601(job.startedAt);
    if (job.endedAt) v["endedAt"] = util::iso8601(job.endedAt);
    std::int64_t from = job.startedAt ? job.startedAt : job.createdAt;
    std::int64_t to = job.endedAt ? job.endedAt : util::now_ms();
    v["elapsedMs"] = std::max<std::int64_t>(0, to - from);

    auto snap = scan(job.id);
    std::optional<ResultSummary> result = snap.result;
    if (!result && !job.result.empty())
        result = ResultSummary::from_json(util::parse_json_or_discarded(job.result));
    if (result) {
        // Bounded like the transcript: a huge final answer must not make a huge reply.
        std::size_t limit = options.resultBytes
                                ? options.resultBytes
                                : std::max<std::size_t>(options.tailBytes, kMinResultBytes);
        json r = result->to_json();
        if (result->text.size() > limit) {
            r["text"] = utf8_head(result->text, limit);
            r["truncated"] = true;
            r["textBytes"] = result->text.size();
        }
        if (r["permissionDenials"].size() > kMaxDenialsShown) {
            json first = json::array();
            for (std::size_t i = 0; i < kMaxDenialsShown; ++i) first.push_back(r["permissionDenials"][i]);
            r["permissionDenials"] = first;
            r["truncated"] = true;
        }
        v["result"] = r;
    }
    std::string session = !job.sessionId.empty() ? job.sessionId : snap.sessionId;
    if (!session.empty()) v["sessionId"] = session;
    v["activity"] = {{"turns", snap.activity.turns},
                     {"lastText", snap.activity.lastText},
                     {"lastTool", snap.activity.lastTool}};
    // An interactive job (its backend keeps interactive.jsonl): working, or waiting for a
    // person, with the question or the whole last answer.
    if (auto interactive = read_interactive_state(dir)) {
        json& activity = v["activity"];
        activity["state"] = is_terminal(job.state) ? "ended" : interactive->state;
        if (!interactive->question.empty() && !is_terminal(job.state))
            activity["question"] = interactive->question;
        if (!interactive->lastText.empty())
            activity["lastText"] = utf8_head(interactive->lastText, kInteractiveTextBytes);
        if (!interactive->error.empty()) activity["error"] = one_line(interactive->error, 500);
    }

    // The readable transcript: a bounded window of the event log, rendered.
    std::string events = dir + "/events.jsonl";
    std::uint64_t size = util::file_size(events).value_or(0);
    std::size_t tail = options.tailBytes;
    std::string output;
    std::uint64_t next = size;
    if (options.sinceOffset) {
        std::uint64_t start = std::min<std::uint64_t>(*options.sinceOffset, size);
        std::size_t window = static_cast<std::size_t>(
            std::min<std::uint64_t>(size - start, std::max<std::size_t>(tail * 4, 1 << 20)));
        window = std::min(window, kMaxTailWindow);
        auto chunk = util::read_range(events, start, window);
        RenderedSpan span = chunk ? render_lines(*chunk, std::max<std::size_t>(tail, 1))
                                  : RenderedSpan{};
        // Whole events only, so paging never loses text; one event longer than tailBytes is
        // shown whole (it is bounded by the window).
        output = span.text;
        next = start + span.consumed;
        if (span.consumed == 0 && chunk && chunk->size() == window && start + window < size) {
            // An event longer than the window: step over it, so the cursor always moves.
            std::uint64_t end = skip_line(events, start + window, size);
            output = "[an event of " + std::to_string(end - start) + " bytes is too long to show]\n";
            next = end;
        }
    } else if (tail > 0) {
        // Render a window at the end of the log, widening it until it yields tailBytes of
        // transcript or reaches the start (or kMaxTailWindow): a huge log costs a small read.
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
            RenderedSpan span = render_lines(text, SIZE_MAX);
            output = utf8_tail(span.text, tail);
            next = size - (text.size() - span.consumed);
            if (span.text.size() >= tail || start == 0 || window >= kMaxTailWindow) break;
            window *= 4;
        }
    }
    v["output"] = output;
    v["nextOffset"] = next;
    v["stderrTail"] = stderr_tail(job.id);
    // Also for an ended job, while its backend still keeps something to attach to (a tmux
    // session in its keep period).
    if (const BackendEntry* entry = backends_.find(job.backend);
        entry && entry->backend && entry->capabilities.attach && job.state != JobState::Queued)
        if (auto a = entry->backend->attachCommand(job.id)) v["attach"] = *a;
    return v;
}

Result<json> JobService::check(const std::string& id, const ViewOptions& options) {
    auto job = load(id);
    if (!job) return job.error();
    auto fresh = refresh(*job);
    if (!fresh) return fresh.error();
    if (options.sinceOffset) {
        auto size = util::file_size(job_dir(id) + "/events.jsonl").value_or(0);
        if (*options.sinceOffset > size)
            return make_error(ErrorCode::InvalidArgument,
                              "sinceOffset " + std::to_string(*options.sinceOffset) +
                                  " is past the end of the log (" + std::to_string(size) +
                                  " bytes); pass back a nextOffset you were given");
    }
    return view(*fresh, options);
}

Result<WaitOutcome> JobService::wait(const std::vector<std::string>& ids, WaitMode mode,
                                     std::chrono::milliseconds timeout,
                                     protocol::CancelToken& cancel,
                                     const std::function<void(const WaitOutcome&)>& progress) {
    std::map<std::string, JobRecord> jobs;
    std::vector<std::string> unknown;
    for (const auto& id : ids) {
        auto job = load(id);
        if (job) {
            jobs[id] = *job;
        } else if (job.error().code == ErrorCode::NotFound) {
            unknown.push_back(one_line(id, 80));
        } else {
            return job.error();  // "busy" is not "gone"
        }
    }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
        return make_error(ErrorCode::NotFound, "no such job: " + list);
    }
    auto started = std::chrono::steady_clock::now();
    auto deadline = started + std::min<std::chrono::milliseconds>(timeout, kMaxWaitBudget);
    auto next_full = started;
    auto next_progress = started + std::chrono::seconds(1);
    ViewOptions options;
    options.tailBytes = kWaitTailBytes;
    options.resultBytes = kWaitResultBytes;
    // Per interactive job: the size of interactive.jsonl last read, and whether it then
    // awaited input.
    std::map<std::string, std::pair<std::uint64_t, bool>> interactiveSeen;
    for (;;) {
        // Every poll looks for an exit record (a stat); the index and the backend are asked
        // every kFullRefresh, which catches ends recorded elsewhere (another server, orphans).
        auto now = std::chrono::steady_clock::now();
        bool full = now >= next_full;
        if (full) next_full = now + kFullRefresh;
        WaitOutcome out;
        std::vector<JobRecord> done_jobs;
        for (const auto& id : ids) {
            JobRecord& job = jobs[id];
            if (!is_terminal(job.state) &&
                (full || util::file_size(job_dir(id) + "/exit.json").has_value())) {
                auto row = load(id);
                if (!row) return row.error();
                auto fresh = refresh(*row);
                if (!fresh) return fresh.error();
                job = *fresh;
            }
            // An interactive job waiting for input is handed back too: someone must answer.
            // Its state file is read again only when it has grown.
            bool waiting = false;
            if (job.state == JobState::Running) {
                auto& seen = interactiveSeen[id];
                auto size = util::file_size(job_dir(id) + "/interactive.jsonl");
                if (size && *size != seen.first) {
                    auto interactive = read_interactive_state(job_dir(id));
                    seen = {*size, interactive && awaits_input(*interactive)};
                }
                waiting = size && seen.second;
            }
            if (is_terminal(job.state) || waiting)
                done_jobs.push_back(job);
            else
                out.pending.push_back(id);
        }
        bool satisfied = out.pending.empty() || (mode == WaitMode::Any && !done_jobs.empty());
        now = std::chrono::steady_clock::now();
        bool over = now >= deadline || cancel.cancelled();
        if (satisfied || over) {
            for (const auto& j : done_jobs) out.done.push_back(view(j, options));
            out.timedOut = !satisfied && now >= deadline;
            return out;
        }
        if (now >= next_progress && progress) {
            progress(out);
            next_progress = now + std::chrono::seconds(1);
        }
        cancel.wait_for(kWaitPoll);
    }
}

Result<const BackendEntry*> JobService::attach(const JobRecord& job) {
    const BackendEntry* entry = backends_.find(job.backend);
    if (!entry || !entry->backend)
        return make_error(ErrorCode::Unavailable,
                          "backend \"" + job.backend + "\" is not available in this server");
    auto handle = handle_from_json(job.handle);
    if (!handle)
        return make_error(ErrorCode::Internal, "its backend handle in the job index is unreadable");
    if (auto known = backends_.ensure_known(*entry, *handle); !known)
        return make_error(known.error().code == ErrorCode::Unavailable ? ErrorCode::Internal
                                                                      : known.error().code,
                          "cannot recover it: " + known.error().message);
    return entry;
}

Result<void> JobService::request_stop(const JobRecord& job, int graceSec) {
    auto attached = attach(job);
    if (!attached) {
        if (attached.error().code != ErrorCode::Unavailable) return attached.error();
        return make_error(ErrorCode::Unavailable,
                          attached.error().message + "; a server that has it will stop the job");
    }
    const BackendEntry* entry = *attached;
    {
        std::lock_guard<std::mutex> lock(stopMutex_);
        stopsSent_[job.id] = std::chrono::steady_clock::now();
    }
    auto stopped = entry->backend->stop(job.id, graceSec);
    if (!stopped && stopped.error().code == ErrorCode::NotFound) return {};  // it ended meanwhile
    return stopped;
}

Result<json> JobService::cancel(const std::string& id, int graceSec, protocol::CancelToken& token) {
    auto job = load(id);
    if (!job) return job.error();
    auto fresh = refresh(*job);
    if (!fresh) return fresh.error();
    if (is_terminal(fresh->state)) {
        json v = view(*fresh, {});
        v["message"] = std::string("job already ended (") + state_name(fresh->state) +
                       "); nothing to cancel";
        return v;
    }
    if (fresh->state == JobState::Queued) {
        auto done = index_.cancel_queued(id, "cancelled by request while queued", util::now_ms());
        if (!done) return done.error();
        if (*done) {
            auto now = load(id);
            if (!now) return now.error();
            return view(*now, {});
        }
        // It was promoted meanwhile: cancel it running.
    }
    if (auto r = index_.set_cancel_requested(id, graceSec); !r) return r.error();
    // The stop goes out as soon as the job has a handle: a launch in progress (here or in
    // another server) gets its handle within milliseconds. The supervisor then ends the
    // group and records it; wait for that, bounded. The housekeeping pump repeats the stop
    // for a cancelled job still running, so an interrupted wait loses nothing.
    bool stop_sent = false;
    std::string note;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(std::min(graceSec + 5, 40));
    for (;;) {
        auto now_job = load(id);
        if (!now_job) return now_job.error();
        if (!stop_sent && now_job->state == JobState::Running && !now_job->handle.empty()) {
            auto stopped = request_stop(*now_job, graceSec);
            if (!stopped && stopped.error().code != ErrorCode::Unavailable) return stopped.error();
            if (!stopped) note = stopped.error().message;
            stop_sent = true;
        }
        auto now = refresh(*now_job);
        if (!now) return now.error();
        if (is_terminal(now->state) || std::chrono::steady_clock::now() >= deadline ||
            token.cancelled()) {
            json v = view(*now, {});
            if (!is_terminal(now->state))
                v["message"] = note.empty()
                                   ? "cancel requested; the job is still stopping — check it again"
                                   : "cancel recorded; " + note;
            return v;
        }
        token.wait_for(kWaitPoll);
    }
}

Result<json> JobService::send(const std::string& id, const std::string& text) {
    auto job = load(id);
    if (!job) return job.error();
    auto fresh = refresh(*job);
    if (!fresh) return fresh.error();
    const BackendEntry* entry = backends_.find(fresh->backend);
    if (!entry || !entry->backend || !entry->capabilities.sendInput)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + id + " runs on backend \"" + fresh->backend +
                              "\", which does not take input; only jobs on a backend in "
                              "interactive mode (e.g. tmux with \"mode\": \"interactive\") do");
    if (fresh->state != JobState::Running)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + id + " is " + state_name(fresh->state) +
                              "; only a running job takes input");
    // Typed text ends with Enter, which in a dialog (folder trust, a tool's permission) picks
    // whatever choice is highlighted: those are answered by a person at the terminal. And
    // nothing goes in before the prompt.
    if (auto interactive = read_interactive_state(job_dir(id))) {
        if (interactive->state == "asking")
            return make_error(ErrorCode::InvalidArgument,
                              "job " + id + " shows a question on screen (see activity.question)"
                              "; a person answers it in the terminal (the view's attach "
                              "command), or cancel the job");
        if (interactive->state == "starting")
            return make_error(ErrorCode::InvalidArgument,
                              "job " + id + " is still starting (its prompt has not been typed "
                              "in yet); claude_wait hands it back when it waits for input");
    }
    auto attached = attach(*fresh);
    if (!attached) return attached.error();
    if (auto sent = (*attached)->backend->sendInput(id, text); !sent) return sent.error();
    return view(*fresh, {});
}

Result<json> JobService::list(const ListFilter& filter) {
    auto listed = index_.list(filter);
    if (!listed) return listed.error();
    json jobs = json::array();
    for (auto& job : listed->jobs) {
        if (job.state == JobState::Running) {
            if (auto fresh = refresh(job)) {
                if (fresh->state != job.state) move_count(listed->counts, job.state, fresh->state);
                job = *fresh;
            }
        }
        json item = {{"jobId", job.id},
                     {"status", state_name(job.state)},
                     {"backend", job.backend},
                     {"label", job.label},
                     {"promptPreview", job.promptPreview},
                     {"workFolder", job.workFolder},
                     {"createdAt", util::iso8601(job.createdAt)}};
        if (job.endedAt) item["endedAt"] = util::iso8601(job.endedAt);
        jobs.push_back(std::move(item));
    }
    json counts = json::object();
    for (auto state : {JobState::Queued, JobState::Running, JobState::Completed, JobState::Failed,
                       JobState::Cancelled, JobState::TimedOut, JobState::Orphaned})
        counts[state_name(state)] = 0;
    for (const auto& [state, n] : listed->counts) counts[state_name(state)] = n;
    json out = {{"jobs", jobs}, {"counts", counts}};
    if (listed->nextBeforeSeq) out["nextCursor"] = std::to_string(listed->nextBeforeSeq);
    return out;
}

json JobService::backends_report(const std::vector<json>& modules) {
    json list = json::array();
    for (const auto& e : backends_.entries()) {
        json b = {{"name", e.name},
                  {"plugin", e.plugin},
                  {"default", e.name == config_.defaultBackend}};
        auto health = backends_.health(e);
        b["available"] = static_cast<bool>(health);
        if (!health) b["reason"] = health.error().message;
        if (!e.info.version.empty()) b["version"] = e.info.version;
        if (!e.info.description.empty()) b["description"] = e.info.description;
        b["capabilities"] = {{"survivesServerRestart", e.capabilities.survivesServerRestart},
                             {"attach", e.capabilities.attach},
                             {"sendInput", e.capabilities.sendInput}};
        list.push_back(std::move(b));
    }
    return {{"backends", list}, {"modules", modules}, {"warnings", setup_warnings()}};
}

std::vector<std::string> JobService::setup_warnings() const {
    std::vector<std::string> warnings;
    bool sandbox = config_.claude.env.count("IS_SANDBOX") > 0;
    for (const auto& entry : baseEnv_)
        if (entry.rfind("IS_SANDBOX=", 0) == 0) sandbox = true;
    if (::geteuid() == 0 && config_.claude.permissionMode == "bypassPermissions" && !sandbox)
        warnings.push_back(
            "running as root: claude refuses permissionMode bypassPermissions as root unless "
            "IS_SANDBOX=1 is in its environment, so jobs will fail. Run as a normal user, set "
            "claude.permissionMode (e.g. acceptEdits), or — only inside a container or VM — add "
            "\"IS_SANDBOX\": \"1\" to claude.env.");
    return warnings;
}

void JobService::promote_queued() {
    for (;;) {
        auto next = index_.promote_next(config_.maxConcurrentJobs, [this](const std::string& name) {
            const BackendEntry* entry = backends_.find(name);
            return entry && entry->backend;  // else: left queued for a server that has it
        });
        if (!next || !*next) return;
        launch(**next);
    }
}

void JobService::restop_if_due(const JobRecord& job) {
    {
        std::lock_guard<std::mutex> lock(stopMutex_);
        auto last = stopsSent_.find(job.id);
        if (last != stopsSent_.end() &&
            std::chrono::steady_clock::now() - last->second < kRestopInterval)
            return;
    }
    if (auto r = request_stop(job, job.cancelGraceSec); !r)
        spdlog::debug("job {}: stop: {}", job.id, r.error().message);
}

void JobService::pump() {
    auto active = index_.active();
    if (!active) {
        spdlog::warn("housekeeping: {}", active.error().message);
        return;
    }
    for (const auto& job : *active) {
        if (job.state != JobState::Running) continue;
        if (job.cancelRequested && !job.handle.empty()) restop_if_due(job);
        refresh(job);
    }
    promote_queued();
}

int JobService::release_held() {
    std::vector<std::string> usable;  // a server that has the others will free their jobs
    for (const auto& entry : backends_.entries())
        if (entry.backend) usable.push_back(entry.name);
    auto held = index_.held_after_end(usable, kReleaseBatch);
    if (!held) {
        spdlog::warn("release: {}", held.error().message);
        return 0;
    }
    int released = 0;
    for (const auto& job : *held) {
        auto attached = attach(job);
        if (attached) {
            if (auto freed = (*attached)->backend->destroy(job.id); !freed) {
                spdlog::warn("job {}: its backend could not free it: {}", job.id,
                             freed.error().message);
                continue;  // tried again at the next sweep
            }
            backends_.forget(job.id);
        }
        // Freed, or the backend cannot take the job back at all: nothing left to try.
        if (index_.release(job.id)) ++released;
    }
    if (released) spdlog::info("released what backends still held for {} ended jobs", released);
    return released;
}

int JobService::sweep() {
    release_held();
    if (config_.retentionDays <= 0) return 0;
    std::int64_t cutoff = util::now_ms() - std::int64_t{config_.retentionDays} * 86400 * 1000;
    auto expired = index_.ended_before(cutoff);
    if (!expired) return 0;
    int removed = 0;
    for (const auto& id : *expired) {
        if (!util::is_valid_job_id(id)) continue;  // never build a path from a bad id
        if (auto r = util::remove_tree(job_dir(id)); !r) {
            spdlog::warn("retention: {}", r.error().message);
            continue;
        }
        if (index_.remove(id)) ++removed;
        std::lock_guard<std::mutex> lock(scanMutex_);
        scans_.erase(id);
    }
    if (removed) spdlog::info("retention: removed {} jobs older than {} days", removed,
                              config_.retentionDays);
    return removed;
}

}  // namespace cj::jobs

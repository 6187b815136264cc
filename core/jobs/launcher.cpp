#include "core/jobs/launcher.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/util/clock.h"
#include "core/util/file_lock.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

Result<void> Launcher::write_job_folder(const std::string& id, const std::string& prompt) {
    std::string dir = dirs_.dir(id);
    // The jobs folder is made and checked (a folder, not a symlink) by this process's first
    // start, and again whenever it has gone missing since; not at every start.
    const bool rootKnown = rootChecked_.load(std::memory_order_acquire);
    int made = rootKnown ? ::mkdir(dir.c_str(), 0700) : -1;
    if (!rootKnown || (made != 0 && errno == ENOENT)) {
        if (auto root = util::make_private_dirs(dirs_.root); !root) return root.error();
        rootChecked_.store(true, std::memory_order_release);
        made = ::mkdir(dir.c_str(), 0700);
    }
    if (made != 0) {
        if (errno == EEXIST)
            return make_error(ErrorCode::AlreadyExists, "a job with id " + id + " exists");
        return make_error(ErrorCode::Unavailable,
                          "cannot create job folder " + dir + ": " + std::strerror(errno), errno);
    }
    // Not fsynced: the prompt is also in the job index, whose commit is, and a launch
    // writes the file again from there if a power cut lost it.
    if (auto w = util::write_new_file(dirs_.file(id, job_files::kPrompt), prompt, false); !w) {
        util::remove_tree(dir);
        return w.error();
    }
    return {};
}

std::optional<std::int64_t> Launcher::queue_position(const std::string& id) {
    auto active = index_.active();
    if (!active) return std::nullopt;
    std::int64_t position = 0;
    for (const auto& j : *active)
        if (j.state == JobState::Queued) {
            ++position;
            if (j.id == id) break;
        }
    return position;
}

Result<void> Launcher::record_base(const JobRecord& job) {
    if (!isolation_ || isolation_->load(job.id)) return {};
    auto made = isolation_->prepare(job.id, job.workFolder, IsolationMode::None, false);
    if (!made) return made.error();
    return {};
}

Result<void> Launcher::isolate(const AcceptedStart& accepted) {
    // Without isolation only the base commit is recorded, at the launch (record_base).
    if (!isolation_ || accepted.isolation == IsolationMode::None) return {};
    auto made = isolation_->prepare(accepted.draft.id, accepted.draft.workFolder,
                                    accepted.isolation, accepted.includeUncommitted);
    if (!made) return made.error();
    return {};
}

void Launcher::undo_folder(const std::string& id) {
    if (isolation_)
        if (auto record = isolation_->load(id)) isolation_->remove_checkout(*record, false);
    util::remove_tree(dirs_.dir(id));
}

// The worktree or copy when the job has one; a job accepted with isolation whose record is
// gone must not fall back to the folder it was to be kept out of.
Result<std::string> Launcher::run_folder(const JobRecord& job) const {
    auto record = isolation_ ? isolation_->load(job.id) : std::nullopt;
    if (record) return record->runFolder;
    auto settings = JobSettings::from_json(util::parse_json_or_discarded(job.spec));
    if (settings.isolation != "none")
        return make_error(ErrorCode::Unavailable,
                          "its " + settings.isolation + " record (isolation.json) is missing");
    return job.workFolder;
}

Result<StartOutcome> Launcher::admit(AcceptedStart accepted, bool hold, bool launchLater) {
    // The folder, prompt and checkout come first: a row that any server may launch must find
    // them.
    const std::string id = accepted.draft.id;
    if (auto made = write_job_folder(id, accepted.prompt); !made) return made.error();
    if (auto isolated = isolate(accepted); !isolated) {
        util::remove_tree(dirs_.dir(id));
        return isolated.error();
    }
    auto inserted = index_.insert(std::move(accepted.draft), hold ? 0 : slots(),
                                  LaunchInputs{accepted.prompt, accepted.plan.to_json()});
    if (!inserted || inserted->existing) undo_folder(id);
    if (!inserted) return inserted.error();
    StartOutcome out;
    out.job = inserted->job;
    out.existing = inserted->existing;  // lost a race with the same key: that job is the answer
    if (out.existing) return out;
    // Only a detached local supervisor is left until after the reply: a backend a person
    // attaches to must have its session for the reply's attach command, and a container's
    // launch can fail for reasons only the runtime knows, which the caller should hear.
    const BackendEntry* backend = backends_.find(out.job.backend);
    launchLater = launchLater && backend && backend->plugin == "local-detached" &&
                  !backend->capabilities.attach;
    if (out.job.state == JobState::Running && launchLater) {
        out.launchPending = true;
    } else if (out.job.state == JobState::Running) {
        launch(out.job);
        auto now = reconciler_.load(id);
        if (!now) return now.error();
        out.job = *now;
        // Only a job that never got a handle failed to launch; one that did may simply have
        // ended already (a container job can run to its end while `run` returns).
        if (out.job.state == JobState::Failed && out.job.handle.empty())
            return make_error(ErrorCode::Unavailable,
                              "job " + id + " could not be launched: " + out.job.reason);
    } else if (out.job.state != JobState::Running) {
        out.queuePosition = queue_position(id);
    }
    const BackendEntry* entry = backends_.find(out.job.backend);
    if (entry && entry->capabilities.attach && entry->backend)
        if (auto a = entry->backend->attachCommand(id)) out.attach = *a;
    return out;
}

namespace {
constexpr const char* kLaunchLock = "launch.lock";
}  // namespace

std::optional<JobRecord> Launcher::still_to_launch(const JobRecord& job, bool& launched) {
    launched = false;
    auto row = index_.get(job.id);
    if (row && !*row) return std::nullopt;
    const JobRecord& now = row ? **row : job;  // an index that cannot be read: as it was
    if (now.state != JobState::Running) return std::nullopt;
    // A handle, or a supervisor that started (its record is written before it is recorded
    // as launched): launched by another process.
    if (!now.handle.empty() ||
        util::file_size(dirs_.file(job.id, claude_jobs::job_folder::kRunnerFile))) {
        launched = true;
        return std::nullopt;
    }
    return now;
}

bool Launcher::launch(JobRecord job) {
    util::FileLock claim(dirs_.file(job.id, kLaunchLock));
    bool launched = false;
    auto now = still_to_launch(job, launched);
    if (!now) return launched;
    return launch_claimed(std::move(*now));
}

bool Launcher::adopt_abandoned(const JobRecord& job, std::chrono::milliseconds after) {
    if (job.state != JobState::Running || !job.handle.empty() || job.claimedAt == 0) return false;
    if (util::now_ms() - job.claimedAt < after.count()) return false;
    const BackendEntry* entry = backends_.find(job.backend);
    if (!entry || !entry->backend) return false;  // left to a server that has its backend
    util::FileLock claim(dirs_.file(job.id, kLaunchLock), util::FileLock::Mode::Try);
    if (!claim.held()) return false;  // its launcher is at work
    bool launched = false;
    auto now = still_to_launch(job, launched);
    if (!now) return false;
    if (now->cancelRequested) {
        reconciler_.record_end(*now, JobState::Cancelled, std::nullopt,
                               "cancelled before it was launched");
        return false;
    }
    spdlog::warn(
        "job {}: the process that accepted it stopped before launching it; launching "
        "it here from its recorded plan",
        job.id);
    return launch_claimed(std::move(*now));
}

bool Launcher::launch_claimed(JobRecord job) {
    auto fail = [&](const std::string& why) {
        reconciler_.record_end(job, JobState::Failed, std::nullopt, "could not launch: " + why);
        return false;
    };
    const BackendEntry* entry = backends_.find(job.backend);
    if (!entry || !entry->backend)
        return fail("backend \"" + job.backend + "\" is not available here");
    auto inputs = index_.launch_inputs(job.id);
    std::optional<LaunchPlan> plan;
    if (inputs && *inputs) plan = LaunchPlan::from_json((*inputs)->plan);
    if (!plan) return fail("its launch plan is missing from the job index");
    // A queued job's folder may have changed since it was accepted (a job running there can
    // swap it for a symlink): the same check again, and the same real path, or no launch.
    auto folder = resolve_work_folder(config_, job.workFolder);
    if (!folder) return fail(folder.error().message);
    if (*folder != job.workFolder)
        return fail("work folder " + job.workFolder + " now leads to " + *folder +
                    " (it, or a folder on its path, was replaced by a symlink since the job was "
                    "accepted)");
    // The prompt file was not fsynced when the job was accepted: make sure it is whole.
    if (util::file_size(dirs_.file(job.id, job_files::kPrompt)) != (*inputs)->prompt.size())
        if (auto w =
                util::write_file_atomic(dirs_.dir(job.id), job_files::kPrompt, (*inputs)->prompt);
            !w)
            return fail(w.error().message);
    auto settings = JobSettings::from_json(util::parse_json_or_discarded(job.spec));
    if (settings.isolation == isolation_name(IsolationMode::None))
        if (auto based = record_base(job); !based) return fail(based.error().message);
    claude_jobs::JobSpec spec;
    spec.jobId = job.id;
    spec.jobDir = dirs_.dir(job.id);
    auto runFolder = run_folder(job);
    if (!runFolder) return fail(runFolder.error().message);
    spec.workFolder = *runFolder;
    spec.claudePath = plan->claudePath;
    spec.claudeArgs = plan->args;
    spec.env = plan->env;
    spec.timeoutSec = plan->timeoutSec;
    spec.label = job.label;
    auto handle = entry->backend->start(spec);
    if (!handle) return fail(handle.error().message);
    backends_.mark_known(job.id);
    // If another process holds the index, the launch is recorded in the background; should
    // the job turn out to have ended meanwhile, what was launched is stopped then.
    const BackendEntry* launchedOn = entry;
    auto late = [this, launchedOn, id = job.id](bool stillRunning) {
        if (stillRunning) return;
        launchedOn->backend->stop(id, 0);
        if (launchedOn->backend->destroy(id)) index_.release(id);
        backends_.forget(id);
    };
    auto recorded = index_.set_launched(job.id, handle_to_json(*handle), util::now_ms(), late);
    if (!recorded && recorded.error().retryable) {
        spdlog::warn("job {} launched on backend {}; {}", job.id, job.backend,
                     recorded.error().message);
        return true;
    }
    if (!recorded || !*recorded) {
        // Either the index failed, or the job was recorded as ended meanwhile: what was just
        // launched must not run unrecorded.
        entry->backend->stop(job.id, 0);
        if (recorded && entry->backend->destroy(job.id)) index_.release(job.id);
        backends_.forget(job.id);
        if (!recorded) {
            spdlog::error("job {}: launched but not recorded: {}", job.id,
                          recorded.error().message);
            reconciler_.record_end(job, JobState::Failed, std::nullopt,
                                   "could not record the launch: " + recorded.error().message);
        }
        return false;
    }
    spdlog::info("job {} launched on backend {}", job.id, job.backend);
    // A cancel that arrived while launching had no handle to act on: act now.
    if (auto now = index_.get(job.id); now && *now && (*now)->cancelRequested)
        entry->backend->stop(job.id, (*now)->cancelGraceSec);
    return true;
}

void Launcher::promote_queued() {
    for (;;) {
        auto next = index_.promote_next(slots(), [this](const std::string& name) {
            const BackendEntry* entry = backends_.find(name);
            return entry && entry->backend;  // else: left queued for a server that has it
        });
        if (!next || !*next) return;
        launch(**next);
    }
}

}  // namespace cj::jobs

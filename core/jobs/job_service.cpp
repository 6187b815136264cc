#include "core/jobs/job_service.h"

#include <spdlog/spdlog.h>

#include "core/util/clock.h"
#include "core/util/files.h"
#include "core/util/ids.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

JobService::JobService(config::Config config, JobIndex& index, BackendSet& backends, int depth,
                       std::vector<std::string> baseEnv, JobOwner self)
    : config_(std::move(config)),
      index_(index),
      backends_(backends),
      baseEnv_(std::move(baseEnv)),
      self_(std::move(self)),
      dirs_{config_.stateDir + "/jobs"},
      events_(dirs_),
      reconciler_(index_, backends_, events_, dirs_),
      acceptor_(config_, index_, backends_, reconciler_, events_, depth, baseEnv_, self_),
      isolation_(config_.stateDir, dirs_),
      changes_(isolation_),
      launcher_(config_, index_, backends_, reconciler_, dirs_, &isolation_),
      views_(events_, backends_, dirs_, &changes_),
      waiter_(reconciler_, views_, dirs_),
      stops_(backends_),
      control_(index_, backends_, reconciler_, stops_, views_, dirs_),
      lister_(index_, reconciler_),
      housekeeping_(config_, index_, backends_, reconciler_, launcher_, stops_, events_, dirs_),
      feed_(index_),
      ledger_(index_),
      gate_(config_, index_, ledger_),
      resumer_(config_, index_, [this](const StartRequest& r) { return start(r); }),
      marks_(index_) {
    index_.on_transition([this] { feed_.nudge(); });
    launcher_.set_slots([this](int configured) { return gate_.slots(configured); });
}

JobService::~JobService() {
    changeFollower_.reset();
    index_.on_transition(nullptr);
}

void JobService::follow_changes() {
    if (!changeFollower_) changeFollower_ = std::make_unique<ChangeFollower>(feed_, changes_);
}

Result<StartOutcome> JobService::start(const StartRequest& request, bool launchLater) {
    auto accepted = acceptor_.accept(request);
    if (!accepted) return accepted.error();
    if (accepted->existing) return StartOutcome{std::move(*accepted->existing), true, {}, {}};
    auto admission = gate_.admit(accepted->start.budgetUsd);
    if (!admission) return admission.error();
    return launcher_.admit(std::move(accepted->start), *admission == Admission::Queue,
                           launchLater);
}

void JobService::launch_pending(const StartOutcome& started) {
    if (started.launchPending) launcher_.launch(started.job);
}

Result<JobView> JobService::check(const std::string& id, const ViewOptions& options) {
    auto job = reconciler_.current(id);
    if (!job) return job.error();
    if (options.sinceOffset) {
        auto size = util::file_size(dirs_.file(id, job_files::kEvents)).value_or(0);
        if (*options.sinceOffset > size)
            return make_error(ErrorCode::InvalidArgument,
                              "sinceOffset " + std::to_string(*options.sinceOffset) +
                                  " is past the end of the log (" + std::to_string(size) +
                                  " bytes); pass back a nextOffset you were given");
    }
    JobView view = views_.build(*job, options);
    if (auto resume = resumer_.of(id); resume && *resume) view.resume = **resume;
    note_collected(view.job);
    return view;
}

Result<JobRecord> JobService::ended(const std::string& id, const char* what) {
    auto job = reconciler_.current(id);
    if (!job) return job.error();
    if (!is_terminal(job->state))
        return make_error(ErrorCode::InvalidArgument,
                          "job " + id + " is " + state_name(job->state) + ": " + what +
                              " once it has ended (claude_wait, or claude_cancel it)");
    return job;
}

Result<ApplyOutcome> JobService::apply(const std::string& id, ApplyMode mode, bool check) {
    if (auto job = ended(id, "its changes can be applied"); !job) return job.error();
    return changes_.apply(id, mode, check);
}

Result<ChangeRecord> JobService::discard(const std::string& id) {
    if (auto job = ended(id, "its checkout can be discarded"); !job) return job.error();
    return changes_.discard(id);
}

int JobService::sweep() {
    // A checkout never outlives its job's folder, which retention removes.
    int keep = config_.isolation.keepDays, retention = config_.retentionDays;
    if (keep <= 0 || (retention > 0 && retention < keep)) keep = retention;
    if (keep > 0) {
        std::int64_t cutoff = util::now_ms() - std::int64_t{keep} * 86400 * 1000;
        auto ids = index_.ended_before(cutoff);
        for (const auto& id : ids ? *ids : std::vector<std::string>{}) {
            std::string note;
            if (util::is_valid_job_id(id) && changes_.expire(id, cutoff, keep, note) &&
                !note.empty())
                spdlog::warn("{}", note);
        }
    }
    return housekeeping_.sweep();
}

Result<WaitOutcome> JobService::wait(const std::vector<std::string>& ids, WaitMode mode,
                                     std::chrono::milliseconds timeout, util::CancelToken& cancel,
                                     const std::function<void(const WaitOutcome&)>& progress) {
    {
        std::lock_guard<std::mutex> lock(waitingMutex_);
        for (const auto& id : ids) waiting_.insert(id);
    }
    auto out = waiter_.wait(ids, mode, timeout, cancel, progress);
    if (out)
        for (const auto& view : out->done) note_collected(view.job);
    std::lock_guard<std::mutex> lock(waitingMutex_);
    for (const auto& id : ids) waiting_.erase(waiting_.find(id));
    return out;
}

bool JobService::being_waited(const std::string& id) const {
    std::lock_guard<std::mutex> lock(waitingMutex_);
    return waiting_.count(id) > 0;
}

void JobService::note_collected(const JobRecord& job) {
    if (!is_terminal(job.state) || !same_owner(self_, job.owner)) return;
    marks_.collected(job.id);
}

Result<JobView> JobService::cancel(const std::string& id, int graceSec, util::CancelToken& cancel) {
    return control_.cancel(id, graceSec, cancel);
}

Result<JobView> JobService::send(const std::string& id, const std::string& text) {
    return control_.send(id, text);
}

Result<JobList> JobService::list(const ListFilter& filter) {
    return lister_.list(filter);
}

std::vector<BackendReport> JobService::backends_report() const {
    return report_backends(config_, backends_);
}

std::vector<std::string> JobService::setup_warnings() const {
    return jobs::setup_warnings(config_, baseEnv_);
}

}  // namespace cj::jobs

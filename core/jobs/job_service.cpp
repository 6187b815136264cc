#include "core/jobs/job_service.h"

#include "core/util/files.h"

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
      launcher_(config_, index_, backends_, reconciler_, dirs_),
      views_(events_, backends_, dirs_),
      waiter_(reconciler_, views_, dirs_),
      stops_(backends_),
      control_(index_, backends_, reconciler_, stops_, views_, dirs_),
      lister_(index_, reconciler_),
      housekeeping_(config_, index_, backends_, reconciler_, launcher_, stops_, events_, dirs_),
      feed_(index_),
      marks_(index_) {
    index_.on_transition([this] { feed_.nudge(); });
}

JobService::~JobService() {
    index_.on_transition(nullptr);
}

Result<StartOutcome> JobService::start(const StartRequest& request) {
    auto accepted = acceptor_.accept(request);
    if (!accepted) return accepted.error();
    if (accepted->existing) return StartOutcome{std::move(*accepted->existing), true, {}, {}};
    return launcher_.admit(std::move(accepted->start));
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
    note_collected(view.job);
    return view;
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

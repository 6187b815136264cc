// The configured backend instances: each config entry's module, created and configured once
// at start-up. An entry whose module is missing, refused, or misconfigured stays listed with
// the reason, so the others keep serving and claude_backends can say what is wrong.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "claude_jobs/job_backend.h"
#include "core/config/config.h"
#include "core/jobs/job_record.h"
#include "core/plugins/plugin_loader.h"
#include "core/util/recent_passes.h"

namespace cj::jobs {

struct BackendEntry {
    std::string name;
    std::string plugin;
    std::shared_ptr<claude_jobs::IJobBackend> backend;  // null when unusable
    claude_jobs::Capabilities capabilities;
    claude_jobs::BackendInfo info;
    std::string error;  // why it is unusable ("" when usable)
};

// Thread-safe: entries are fixed after construction; recovery bookkeeping has a mutex.
class BackendSet {
  public:
    BackendSet(const config::Config& config, const plugins::PluginRegistry& registry,
               const claude_jobs::HostContext& host);
    // Entries made elsewhere (tests give backends of their own, already configured).
    explicit BackendSet(std::vector<BackendEntry> entries) : entries_(std::move(entries)) {}

    const std::vector<BackendEntry>& entries() const { return entries_; }
    const BackendEntry* find(const std::string& name) const;
    std::string names() const;  // "local, watch" for messages

    // Whether health() passes now, re-asked each time (a binary may appear or vanish).
    claude_jobs::Result<void> health(const BackendEntry& entry) const;
    // health() for a start: a pass is trusted for kHealthTrust (a burst of starts asks once);
    // a failure is asked again on the next start.
    claude_jobs::Result<void> health_for_start(const BackendEntry& entry) const;
    static constexpr auto kHealthTrust = std::chrono::seconds(1);

    // Makes sure this process's instance knows the job (recover() once per job; the
    // process that started it already does).
    claude_jobs::Result<void> ensure_known(const BackendEntry& entry,
                                           const claude_jobs::JobHandle& handle);
    void mark_known(const std::string& jobId);
    void forget(const std::string& jobId);

    // The job's backend, with the job recovered into it: Unavailable when this server does
    // not have that backend; another code (its message ready to be a reason) when the job
    // cannot be taken back.
    claude_jobs::Result<const BackendEntry*> attach(const JobRecord& job);

  private:
    std::vector<BackendEntry> entries_;
    std::mutex mutex_;
    std::set<std::string> known_;
    mutable util::RecentPasses healthy_{kHealthTrust};
};

// JobHandle <-> JSON text, as the job index stores it.
std::string handle_to_json(const claude_jobs::JobHandle& handle);
std::optional<claude_jobs::JobHandle> handle_from_json(const std::string& text);

}  // namespace cj::jobs

#include "core/jobs/backend_set.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

BackendSet::BackendSet(const config::Config& config, const plugins::PluginRegistry& registry,
                       const claude_jobs::HostContext& host) {
    for (const auto& bc : config.backends) {
        BackendEntry entry;
        entry.name = bc.name;
        entry.plugin = bc.plugin;
        auto created = registry.create(bc.plugin);
        if (!created) {
            entry.error = created.error().message;
        } else {
            claude_jobs::HostContext ctx = host;
            ctx.instanceName = bc.name;
            auto backend = *created;
            entry.info = backend->info();
            std::string settings = bc.settings.is_object() ? bc.settings.dump() : "{}";
            if (auto r = backend->configure(settings, ctx); !r) {
                entry.error = "backend \"" + bc.name + "\" (" + bc.plugin +
                              "): bad settings: " + r.error().message;
            } else {
                entry.capabilities = backend->capabilities();
                entry.backend = backend;
            }
        }
        if (!entry.error.empty()) spdlog::warn("backend {} unusable: {}", bc.name, entry.error);
        entries_.push_back(std::move(entry));
    }
}

const BackendEntry* BackendSet::find(const std::string& name) const {
    for (const auto& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

std::string BackendSet::names() const {
    std::string out;
    for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
    return out;
}

Result<void> BackendSet::health(const BackendEntry& entry) const {
    if (!entry.backend)
        return make_error(ErrorCode::Unavailable,
                          "backend \"" + entry.name + "\" is unavailable: " + entry.error);
    auto r = entry.backend->health();
    if (!r)
        return make_error(ErrorCode::Unavailable,
                          "backend \"" + entry.name + "\" is unavailable: " + r.error().message);
    return {};
}

Result<void> BackendSet::health_for_start(const BackendEntry& entry) const {
    if (healthy_.recent(entry.name)) return {};
    auto r = health(entry);
    if (r) healthy_.passed(entry.name);
    return r;
}

Result<void> BackendSet::ensure_known(const BackendEntry& entry,
                                      const claude_jobs::JobHandle& handle) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (known_.count(handle.jobId)) return {};
    }
    if (!entry.backend)
        return make_error(ErrorCode::Unavailable,
                          "backend \"" + entry.name + "\" is unavailable: " + entry.error);
    if (auto r = entry.backend->recover(handle); !r) return r;
    mark_known(handle.jobId);
    return {};
}

void BackendSet::mark_known(const std::string& jobId) {
    std::lock_guard<std::mutex> lock(mutex_);
    known_.insert(jobId);
}

void BackendSet::forget(const std::string& jobId) {
    std::lock_guard<std::mutex> lock(mutex_);
    known_.erase(jobId);
}

Result<const BackendEntry*> BackendSet::attach(const JobRecord& job) {
    const BackendEntry* entry = find(job.backend);
    if (!entry || !entry->backend)
        return make_error(ErrorCode::Unavailable,
                          "backend \"" + job.backend + "\" is not available in this server");
    auto handle = handle_from_json(job.handle);
    if (!handle)
        return make_error(ErrorCode::Internal, "its backend handle in the job index is unreadable");
    if (auto known = ensure_known(*entry, *handle); !known)
        return make_error(
            known.error().code == ErrorCode::Unavailable ? ErrorCode::Internal : known.error().code,
            "cannot recover it: " + known.error().message);
    return entry;
}

std::string handle_to_json(const claude_jobs::JobHandle& handle) {
    return json{{"jobId", handle.jobId},
                {"instanceName", handle.instanceName},
                {"stateVersion", handle.stateVersion},
                {"backendState", handle.backendState}}
        .dump();
}

std::optional<claude_jobs::JobHandle> handle_from_json(const std::string& text) {
    json j = util::parse_json_or_discarded(text);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    claude_jobs::JobHandle h;
    h.jobId = j.value("jobId", "");
    h.instanceName = j.value("instanceName", "");
    h.stateVersion = j.value("stateVersion", 1u);
    h.backendState = j.value("backendState", "");
    if (h.jobId.empty()) return std::nullopt;
    return h;
}

}  // namespace cj::jobs

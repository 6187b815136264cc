#include "core/jobs/acceptance.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "common/spawn.h"
#include "core/jobs/claude_program.h"
#include "core/transcript/text.h"
#include "core/util/clock.h"
#include "core/util/ids.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using transcript::one_line;

namespace {

constexpr std::size_t kPreviewBytes = 120;
constexpr std::size_t kMaxNameBytes = 200;  // model, backend, job ids, session ids
constexpr std::size_t kMaxIdempotencyKeyBytes = 256;
constexpr std::size_t kMaxLabelBytes = 500;
constexpr std::size_t kMaxToolNames = 200;
constexpr std::size_t kMaxToolNameBytes = 1024;
constexpr double kMinBudgetUsd = 1e-9;
constexpr double kMaxBudgetUsd = 1e6;
// The supervisor refuses limits past a year; longer means "none that matters".
constexpr std::int64_t kMaxSupervisorTimeoutSec = 365LL * 86400;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

Result<void> invalid(std::string message) {
    return make_error(ErrorCode::InvalidArgument, std::move(message));
}

Result<void> check_size(const char* name, const std::string& value, std::size_t maxBytes) {
    if (value.size() > maxBytes)
        return invalid(std::string(name) + " is " + std::to_string(value.size()) +
                       " bytes; the limit is " + std::to_string(maxBytes));
    return {};
}

// Tool names and model names go to claude as flag values: keep them plain.
Result<void> check_plain(const char* name, const std::string& value) {
    if (value.empty() || value[0] == '-')
        return invalid(std::string(name) + " must not be empty or start with '-'");
    for (char c : value)
        if (static_cast<unsigned char>(c) < 0x20)
            return invalid(std::string(name) + " must not contain control characters");
    return {};
}

Result<void> check_tools(const char* name, const std::vector<std::string>& tools) {
    if (tools.size() > kMaxToolNames)
        return invalid(std::string(name) + " holds " + std::to_string(tools.size()) +
                       " items; the limit is " + std::to_string(kMaxToolNames));
    for (const auto& t : tools) {
        if (t.empty() || t.size() > kMaxToolNameBytes)
            return invalid(std::string(name) + " items must be 1 to " +
                           std::to_string(kMaxToolNameBytes) + " bytes");
        if (auto r = check_plain(name, t); !r) return r;
    }
    return {};
}

bool is_uuid(const std::string& s) {
    static const std::regex re(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
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

}  // namespace

StartAcceptor::StartAcceptor(const config::Config& config, JobIndex& index,
                             const BackendSet& backends, Reconciler& reconciler, EventCache& events,
                             int depth, std::vector<std::string> baseEnv, JobOwner self)
    : config_(config),
      index_(index),
      backends_(backends),
      reconciler_(reconciler),
      events_(events),
      depth_(depth),
      baseEnv_(std::move(baseEnv)),
      self_(std::move(self)) {}

Result<void> StartAcceptor::check_fields(const StartRequest& r) const {
    for (auto [name, value, limit] :
         {std::tuple{"model", &r.model, kMaxNameBytes},
          {"backend", &r.backend, kMaxNameBytes},
          {"jobId", &r.jobId, kMaxNameBytes},
          {"idempotencyKey", &r.idempotencyKey, kMaxIdempotencyKeyBytes},
          {"resumeSessionId", &r.resumeSessionId, kMaxNameBytes},
          {"resumeJobId", &r.resumeJobId, kMaxNameBytes},
          {"label", &r.label, kMaxLabelBytes}})
        if (auto ok = check_size(name, *value, limit); !ok) return ok;
    if (!r.model.empty())
        if (auto ok = check_plain("model", r.model); !ok) return ok;
    if (r.permissionMode) {
        const auto& modes = permission_modes();
        if (std::find(modes.begin(), modes.end(), *r.permissionMode) == modes.end())
            return invalid("permissionMode must be one of " + join(modes));
    }
    if (auto ok = check_tools("allowedTools", r.allowedTools); !ok) return ok;
    if (auto ok = check_tools("disallowedTools", r.disallowedTools); !ok) return ok;
    if (r.maxBudgetUsd && !(*r.maxBudgetUsd >= kMinBudgetUsd && *r.maxBudgetUsd <= kMaxBudgetUsd))
        return invalid("maxBudgetUsd must be more than 0 and at most 1000000 (US dollars)");
    return {};
}

Result<void> StartAcceptor::runnable_claude(const std::vector<std::string>& env) {
    // The program and the PATH it is looked up on name the check.
    std::string key = config_.claude.path + '\n' + plugin_common::path_in(env, "");
    if (claudeFound_.recent(key)) return {};
    auto found = find_runnable_claude(config_.claude.path, env);
    if (!found) return found.error();
    claudeFound_.passed(key, *found);
    return {};
}

Result<std::string> StartAcceptor::resolve_work_folder(const std::string& requested) const {
    return jobs::resolve_work_folder(config_, requested);
}

Result<std::string> resolve_work_folder(const config::Config& config,
                                        const std::string& requested) {
    std::string folder = requested;
    if (folder.empty()) folder = config.defaultWorkFolder;
    if (folder.empty()) {
        char buf[PATH_MAX];
        if (!::getcwd(buf, sizeof buf))
            return make_error(ErrorCode::InvalidArgument, "no workFolder given and no default");
        folder = buf;
    }
    if (folder.find('\0') != std::string::npos)
        return make_error(ErrorCode::InvalidArgument, "workFolder contains a NUL character");
    if (folder[0] != '/')
        return make_error(
            ErrorCode::InvalidArgument,
            "workFolder must be an absolute path, got \"" + one_line(folder, 200) + "\"");
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        return make_error(ErrorCode::InvalidArgument,
                          "workFolder \"" + one_line(folder, 200) + "\" is not an existing folder");
    std::string real = real_path(folder);
    if (real.empty())
        return make_error(ErrorCode::InvalidArgument,
                          "workFolder \"" + one_line(folder, 200) + "\" cannot be resolved");
    if (config.allowedWorkFolders.empty()) return real;
    for (const auto& root : config.allowedWorkFolders) {
        std::string real_root = real_path(root);
        if (!real_root.empty() && inside(real, real_root)) return real;
    }
    std::string roots;
    for (const auto& r : config.allowedWorkFolders) roots += (roots.empty() ? "" : ", ") + r;
    return make_error(ErrorCode::PermissionDenied,
                      "workFolder " + real + " is outside allowedWorkFolders (" + roots + ")");
}

Result<std::string> StartAcceptor::resolve_resume(const StartRequest& r) {
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
        auto job = reconciler_.load(r.resumeJobId);
        if (!job) return job.error();
        std::string session = job->sessionId;
        if (session.empty()) session = events_.scan(job->id).sessionId;
        if (session.empty())
            return make_error(ErrorCode::InvalidArgument,
                              "job " + job->id + " has no session to resume yet (it is " +
                                  state_name(job->state) +
                                  " and claude has not started a session)");
        return session;
    }
    if (r.forkSession)
        return make_error(ErrorCode::InvalidArgument,
                          "forkSession needs resumeSessionId or resumeJobId");
    return std::string();
}

Result<std::int64_t> StartAcceptor::resolve_timeout(const StartRequest& r) const {
    if (!r.timeoutSec) return config_.defaultTimeoutSec;
    if (*r.timeoutSec <= 0)
        return make_error(ErrorCode::InvalidArgument, "timeoutSec must be at least 1 (seconds)");
    if (config_.maxTimeoutSec > 0 && *r.timeoutSec > config_.maxTimeoutSec)
        return make_error(ErrorCode::InvalidArgument,
                          "timeoutSec " + std::to_string(*r.timeoutSec) + " is over the limit of " +
                              std::to_string(config_.maxTimeoutSec) + " (config maxTimeoutSec)");
    return *r.timeoutSec;
}

Result<Acceptance> StartAcceptor::accept(const StartRequest& r) {
    if (depth_ >= config_.maxDepth)
        return make_error(ErrorCode::LimitReached,
                          "this server runs inside a job at depth " + std::to_string(depth_) +
                              " (maxDepth " + std::to_string(config_.maxDepth) +
                              "): it starts no further jobs, to stop runaway recursion");
    if (auto ok = check_fields(r); !ok) return ok.error();
    Acceptance out;
    if (!r.idempotencyKey.empty()) {
        auto existing = index_.find_by_idempotency_key(r.idempotencyKey);
        if (!existing) return existing.error();
        if (*existing) {
            out.existing = std::move(**existing);
            return out;
        }
    }
    if (r.prompt.empty()) return make_error(ErrorCode::InvalidArgument, "prompt must not be empty");
    if (static_cast<std::int64_t>(r.prompt.size()) > config_.limits.maxPromptBytes)
        return make_error(ErrorCode::InvalidArgument,
                          "prompt is " + std::to_string(r.prompt.size()) + " bytes; the limit is " +
                              std::to_string(config_.limits.maxPromptBytes));
    std::string id = r.jobId;
    if (id.empty())
        id = util::new_job_id();
    else if (!util::is_valid_job_id(id))
        return make_error(ErrorCode::InvalidArgument,
                          "jobId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    auto folder = resolve_work_folder(r.workFolder);
    if (!folder) return folder.error();
    std::string backend = config::choose_backend(config_, r.backend, *folder);
    const BackendEntry* entry = backends_.find(backend);
    if (!entry) {
        std::string names = backends_.names();
        return make_error(ErrorCode::InvalidArgument,
                          "unknown backend \"" + one_line(backend, 80) + "\"; " +
                              (names.empty() ? "none are configured" : "configured: " + names));
    }
    if (auto h = backends_.health_for_start(*entry); !h) return h.error();
    auto env = job_environment(baseEnv_, config_.claude, id, depth_ + 1);
    if (runs_host_claude(entry->plugin))
        if (auto claude = runnable_claude(env); !claude) return claude.error();
    auto isolation =
        parse_isolation(config::choose_isolation(config_, r.isolation, *folder, backend));
    if (!isolation)
        return make_error(ErrorCode::InvalidArgument, "isolation must be none, worktree or copy");
    if (r.includeUncommitted && *isolation != IsolationMode::Worktree)
        return make_error(ErrorCode::InvalidArgument,
                          "includeUncommitted goes with isolation \"worktree\"");
    auto session = resolve_resume(r);
    if (!session) return session.error();
    auto timeout = resolve_timeout(r);
    if (!timeout) return timeout.error();
    if (auto ok = check_spec_options(r.options); !ok) return ok.error();

    JobSettings settings;
    settings.model = r.model;
    settings.permissionMode = r.permissionMode.value_or(config_.claude.permissionMode);
    settings.allowedTools = r.allowedTools;
    settings.disallowedTools = r.disallowedTools;
    settings.resumeSessionId = *session;
    settings.forkSession = r.forkSession;
    // A job always has a budget when the running jobs' budgets are capped (docs/limits.md).
    settings.maxBudgetUsd = r.maxBudgetUsd                ? r.maxBudgetUsd
                            : config_.limits.maxBudgetUsd ? config_.limits.maxBudgetUsd
                                                          : config_.limits.maxRunningUsd;
    settings.timeoutSec = *timeout;
    settings.isolation = isolation_name(*isolation);
    settings.includeUncommitted = r.includeUncommitted;

    settings.resumeAfterLimit = r.resumeAfterLimit.value_or(config_.limits.resumeAfterLimit);
    settings.resumeOf = r.resumeOf;
    settings.options = r.options;
    settings.resumeAttempt = r.resumeAttempt;

    AcceptedStart& start = out.start;
    start.prompt = r.prompt;
    start.isolation = *isolation;
    start.includeUncommitted = r.includeUncommitted;
    start.budgetUsd = settings.maxBudgetUsd;
    start.plan.claudePath = config_.claude.path;
    start.plan.args = claude_args(settings, config_.claude);
    start.plan.env = std::move(env);
    start.plan.timeoutSec = std::min(settings.timeoutSec, kMaxSupervisorTimeoutSec);
    JobRecord& draft = start.draft;
    draft.id = id;
    draft.backend = backend;
    draft.label = r.label;
    draft.promptPreview = one_line(r.prompt, kPreviewBytes);
    draft.workFolder = *folder;
    draft.spec = settings.to_json().dump();
    draft.idempotencyKey = r.idempotencyKey;
    draft.createdAt = util::now_ms();
    draft.owner = self_;
    draft.owner.client = one_line(r.clientName, kMaxNameBytes);
    return out;
}

}  // namespace cj::jobs

#include "core/jobs/resumer.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "core/jobs/sqlite_db.h"
#include "core/transcript/events.h"
#include "core/util/clock.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::Result;
using sqlite::db_error;
using sqlite::Statement;

const char* const kContinuationPrompt =
    "The usage limit that stopped your previous run has reset. Continue the task from where "
    "you left off.";

namespace {
constexpr std::int64_t kPumpEveryMs = 1000;
constexpr auto kWriteWait = std::chrono::milliseconds(2000);

// The ids of jobs (of the given SQL condition on resumes r and jobs j), oldest first.
Result<std::vector<std::string>> ids_where(JobIndex& index, const char* sql, std::int64_t now) {
    std::vector<std::string> out;
    auto r = index.read_with([&](sqlite3* db) -> Result<void> {
        Statement s(db, sql);
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, now);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
        if (rc != SQLITE_DONE) return db_error(db, "read resumes");
        return {};
    });
    if (!r) return r.error();
    return out;
}

Result<void> put(JobIndex& index, const std::string& id, const ResumeEntry& e, bool replace) {
    return index.write_with(
        [=](sqlite3* db) -> Result<void> {
            Statement s(db, replace ? "INSERT OR REPLACE INTO resumes(job_id, due_at, state, "
                                      "resumed_as, note) VALUES(?, ?, ?, ?, ?)"
                                    : "INSERT OR IGNORE INTO resumes(job_id, due_at, state, "
                                      "resumed_as, note) VALUES(?, ?, ?, ?, ?)");
            s.bind(1, id).bind(2, e.dueAt).bind(3, e.state).bind(4, e.resumedAs).bind(5, e.note);
            if (s.step() != SQLITE_DONE) return db_error(db, "record a resume");
            return {};
        },
        kWriteWait);
}
}  // namespace

ResumeEntry Resumer::plan(const JobRecord& job) const {
    auto settings = JobSettings::from_json(util::parse_json_or_discarded(job.spec));
    auto result = transcript::ResultSummary::from_json(util::parse_json_or_discarded(job.result));
    ResumeEntry e;
    if (!settings.resumeAfterLimit) {
        e.state = "off";
    } else if (settings.resumeAttempt >= config_.limits.maxResumes) {
        e.state = "exhausted";
        e.note = "resumed " + std::to_string(settings.resumeAttempt) +
                 " times already (limits.maxResumes)";
    } else if (!result || !result->rateLimit || result->rateLimit->resetsAt <= 0) {
        e.state = "failed";
        e.note = "the usage limit's reset time is unknown";
    } else {
        e.state = "scheduled";
        e.dueAt = (result->rateLimit->resetsAt + config_.limits.resumeMarginSec) * 1000;
    }
    return e;
}

Result<void> Resumer::schedule() {
    auto ids = ids_where(index_,
                         "SELECT id FROM jobs j WHERE state = 'rate_limited' AND ended_at <= ? "
                         "AND NOT EXISTS (SELECT 1 FROM resumes r WHERE r.job_id = j.id) "
                         "ORDER BY seq",
                         util::now_ms());
    if (!ids) return ids.error();
    for (const auto& id : *ids) {
        auto job = index_.get(id);
        if (!job) return job.error();
        if (!*job) continue;
        if (auto r = put(index_, id, plan(**job), false); !r) return r;
    }
    return {};
}

StartRequest Resumer::resume_request(const JobRecord& job) {
    auto settings = JobSettings::from_json(util::parse_json_or_discarded(job.spec));
    StartRequest r;
    r.prompt = kContinuationPrompt;
    r.workFolder = job.workFolder;
    r.backend = job.backend;
    r.model = settings.model;
    r.permissionMode = settings.permissionMode;
    r.allowedTools = settings.allowedTools;
    r.disallowedTools = settings.disallowedTools;
    if (settings.timeoutSec > 0) r.timeoutSec = settings.timeoutSec;
    r.maxBudgetUsd = settings.maxBudgetUsd;
    r.options = settings.options;
    r.label = job.label;
    r.clientName = job.owner.client;
    r.resumeJobId = job.id;
    r.idempotencyKey = "resume-of:" + job.id;
    r.resumeAfterLimit = true;
    r.resumeOf = job.id;
    r.resumeAttempt = settings.resumeAttempt + 1;
    return r;
}

void Resumer::start_due() {
    auto due = ids_where(index_,
                         "SELECT job_id FROM resumes WHERE state = 'scheduled' AND due_at <= ? "
                         "ORDER BY due_at",
                         util::now_ms());
    if (!due) {
        spdlog::warn("resumes: {}", due.error().message);
        return;
    }
    for (const auto& id : *due) {
        auto job = index_.get(id);
        if (!job || !*job) continue;
        auto started = start_(resume_request(**job));
        ResumeEntry e{"resumed", util::now_ms(), "", ""};
        if (started) {
            e.resumedAs = started->job.id;
            spdlog::info("job {} resumed after its usage limit as {}", id, e.resumedAs);
        } else if (started.error().code == ErrorCode::Unavailable) {
            continue;  // retried at the next pump
        } else {
            e.state = "failed";
            e.note = started.error().message;
            spdlog::warn("job {} could not be resumed: {}", id, e.note);
        }
        if (auto r = put(index_, id, e, true); !r) spdlog::warn("resumes: {}", r.error().message);
    }
}

void Resumer::pump() {
    {
        std::lock_guard lock(mutex_);
        std::int64_t now = util::now_ms();
        if (now - lastPump_ < kPumpEveryMs) return;
        lastPump_ = now;
    }
    if (auto r = schedule(); !r) spdlog::warn("resumes: {}", r.error().message);
    start_due();
}

Result<std::optional<ResumeEntry>> Resumer::of(const std::string& id) {
    std::optional<ResumeEntry> out;
    auto r = index_.read_with([&](sqlite3* db) -> Result<void> {
        Statement s(db, "SELECT state, due_at, resumed_as, note FROM resumes WHERE job_id = ?");
        if (!s.ok()) return db_error(db, "prepare");
        s.bind(1, id);
        int rc = s.step();
        if (rc == SQLITE_ROW)
            out = ResumeEntry{s.text(0), s.int64(1), s.text(2), s.text(3)};
        else if (rc != SQLITE_DONE)
            return db_error(db, "read a resume");
        return {};
    });
    if (!r) return r.error();
    return out;
}

}  // namespace cj::jobs

// Jobs as MCP resources: claude-jobs://job/{jobId} (the job view, as claude_check shows it),
// .../log (the readable transcript's tail) and .../result (the final answer). See
// docs/protocol.md.
#include "core/tools/job_resources.h"

#include "core/tools/args.h"
#include "core/tools/job_view_json.h"
#include "core/util/clock.h"
#include "core/util/ids.h"

namespace cj::tools {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using nlohmann::json;

namespace {

constexpr const char* kScheme = "claude-jobs://job/";
constexpr int kPageSize = 50;
constexpr std::size_t kViewTailBytes = 8000;     // claude_check's default
constexpr std::size_t kLogBytes = 64 * 1024;     // the readable transcript's tail
constexpr std::size_t kResultBytes = 1 << 20;    // the final answer, cut beyond 1 MiB

json contents(const std::string& uri, const std::string& mimeType, std::string text) {
    return json::array({{{"uri", uri}, {"mimeType", mimeType}, {"text", std::move(text)}}});
}

claude_jobs::Error not_found(const std::string& uri, const std::string& why) {
    return make_error(ErrorCode::NotFound, "resource not found: " + uri + " (" + why + ")");
}

}  // namespace

std::optional<JobResourceUri> parse_job_resource_uri(const std::string& uri) {
    const std::string scheme = kScheme;
    if (uri.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
    std::string rest = uri.substr(scheme.size());
    JobResourceUri parsed;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        std::string part = rest.substr(slash + 1);
        if (part == "log") {
            parsed.part = JobResourceUri::Part::Log;
        } else if (part == "result") {
            parsed.part = JobResourceUri::Part::Result;
        } else {
            return std::nullopt;
        }
        rest.resize(slash);
    }
    if (!util::is_valid_job_id(rest)) return std::nullopt;
    parsed.jobId = rest;
    return parsed;
}

std::vector<std::string> job_resource_uris(const std::string& jobId) {
    std::string base = kScheme + jobId;
    return {base, base + "/log", base + "/result"};
}

json job_resource_link(const jobs::JobRecord& job) {
    return {{"type", "resource_link"},
            {"uri", kScheme + job.id},
            {"name", job.id},
            {"title", "job " + job.id},
            {"description", "the job's view, as claude_check shows it; .../log and .../result "
                            "are its transcript and final answer"},
            {"mimeType", "application/json"}};
}

Resources make_job_resources(jobs::JobService& service) {
    Resources r;
    r.templates = {
        {std::string(kScheme) + "{jobId}", "job", "A job",
         "The job's view as claude_check shows it: status, result, activity and the last 8000 "
         "bytes of its readable transcript.",
         "application/json"},
        {std::string(kScheme) + "{jobId}/log", "job log", "A job's transcript",
         "The last 64 KiB of the job's readable transcript (assistant text, one line per tool "
         "call).",
         "text/plain"},
        {std::string(kScheme) + "{jobId}/result", "job result", "A job's final answer",
         "The final answer of an ended job (up to 1 MiB); not found while the job has none.",
         "text/plain"},
    };
    r.list = [&service](const std::string& cursor) -> claude_jobs::Result<ResourcePage> {
        jobs::ListFilter filter;
        filter.limit = kPageSize;
        if (!cursor.empty()) {
            auto before = parse_list_cursor(cursor);
            if (!before)
                return make_error(ErrorCode::InvalidArgument,
                                  "unknown cursor: pass the nextCursor of the page before");
            filter.beforeSeq = *before;
        }
        auto listed = service.list(filter);
        if (!listed) return listed.error();
        ResourcePage page;
        for (const auto& job : listed->jobs) {
            std::string status = jobs::state_name(job.state);
            std::string title = job.label.empty() ? job.promptPreview : job.label;
            json entry = {{"uri", kScheme + job.id},
                          {"name", job.id},
                          {"title", title.substr(0, 200)},
                          {"description", status + " on " + job.backend + " in " + job.workFolder},
                          {"mimeType", "application/json"}};
            std::int64_t changed = job.endedAt ? job.endedAt
                                   : job.startedAt ? job.startedAt
                                                   : job.createdAt;
            if (changed) entry["annotations"] = {{"lastModified", util::iso8601(changed)}};
            page.resources.push_back(std::move(entry));
        }
        if (listed->nextBeforeSeq) page.nextCursor = std::to_string(listed->nextBeforeSeq);
        return page;
    };
    r.read = [&service](const std::string& uri) -> claude_jobs::Result<json> {
        auto parsed = parse_job_resource_uri(uri);
        if (!parsed) return not_found(uri, "not a job resource: claude-jobs://job/{jobId}[/log|/result]");
        jobs::ViewOptions options;
        options.resultBytes = kResultBytes;
        switch (parsed->part) {
            case JobResourceUri::Part::View: options.tailBytes = kViewTailBytes; break;
            case JobResourceUri::Part::Log: options.tailBytes = kLogBytes; break;
            case JobResourceUri::Part::Result: options.tailBytes = 0; break;
        }
        auto view = service.check(parsed->jobId, options);
        if (!view) {
            if (view.error().code == ErrorCode::NotFound) return not_found(uri, "no such job");
            return view.error();
        }
        switch (parsed->part) {
            case JobResourceUri::Part::View:
                return contents(uri, "application/json", to_json(*view).dump());
            case JobResourceUri::Part::Log:
                return contents(uri, "text/plain", std::move(view->output));
            case JobResourceUri::Part::Result:
                if (!view->result)
                    return not_found(uri, std::string("the job has no result yet; it is ") +
                                              jobs::state_name(view->job.state));
                return contents(uri, "text/plain", std::move(view->result->summary.text));
        }
        return not_found(uri, "unknown part");
    };
    r.exists = [&service](const std::string& uri) {
        auto parsed = parse_job_resource_uri(uri);
        if (!parsed) return false;
        auto job = service.index().get(parsed->jobId);
        return job && job->has_value();
    };
    return r;
}

}  // namespace cj::tools

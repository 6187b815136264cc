#include "core/cli/job_ids.h"

#include "core/util/similar.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

constexpr std::size_t kListedCandidates = 8;
constexpr int kPage = 1000;

Result<std::vector<std::string>> all_ids(Session& session) {
    std::vector<std::string> ids;
    jobs::ListFilter filter;
    filter.limit = kPage;
    for (;;) {
        auto page = session.app().index().list(filter);
        if (!page) return page.error();
        for (const auto& job : page->jobs) ids.push_back(job.id);
        if (page->nextBeforeSeq == 0) return ids;
        filter.beforeSeq = page->nextBeforeSeq;
    }
}

}  // namespace

Result<std::string> match_job_id(const std::string& given, const std::vector<std::string>& known) {
    std::vector<std::string> starting;
    for (const auto& id : known) {
        if (id == given) return id;
        if (!given.empty() && id.rfind(given, 0) == 0) starting.push_back(id);
    }
    if (starting.size() == 1) return starting.front();
    if (starting.empty())
        return make_error(ErrorCode::NotFound,
                          "no such job \"" + given + "\"" + util::did_you_mean(given, known));
    std::string list;
    for (std::size_t i = 0; i < starting.size() && i < kListedCandidates; ++i)
        list += (i ? ", " : "") + starting[i];
    if (starting.size() > kListedCandidates)
        list += " and " + std::to_string(starting.size() - kListedCandidates) + " more";
    return make_error(ErrorCode::InvalidArgument,
                      "job id \"" + given + "\" is ambiguous: " + std::to_string(starting.size()) +
                          " jobs start with it (" + list + "); give more of the id");
}

Result<std::string> resolve_job_id(Session& session, const std::string& given) {
    auto exact = session.app().index().get(given);
    if (exact && *exact) return given;
    auto ids = all_ids(session);
    if (!ids) return ids.error();
    return match_job_id(given, *ids);
}

Result<void> resolve_job_ids(Session& session, std::vector<std::string>& ids) {
    for (auto& id : ids) {
        auto resolved = resolve_job_id(session, id);
        if (!resolved) return resolved.error();
        id = *resolved;
    }
    return {};
}

}  // namespace cj::cli

// start: a job from the shell, through the same acceptance as the claude_start tool (same
// checks, same messages). The id goes to stdout alone, so `id=$(claude-jobs start …)` works; what
// happened goes to stderr.
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "core/cli/commands.h"
#include "core/cli/job_ids.h"
#include "core/tools/job_tools.h"
#include "core/util/files.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxPromptFile = 64 << 20;  // the config's limit applies after this

Result<std::string> read_prompt(const StartOptions& options) {
    if (!options.promptWords.empty() && !options.promptFile.empty())
        return make_error(ErrorCode::InvalidArgument,
                          "give the prompt as words or --prompt-file, not both");
    if (!options.promptWords.empty()) {
        std::string prompt;
        for (const auto& w : options.promptWords) prompt += (prompt.empty() ? "" : " ") + w;
        return prompt;
    }
    if (options.promptFile.empty() && ::isatty(0))
        return make_error(ErrorCode::InvalidArgument,
                          "no prompt: give it as words, with --prompt-file FILE, or on stdin");
    if (options.promptFile.empty() || options.promptFile == "-") {
        std::string prompt((std::istreambuf_iterator<char>(std::cin)),
                           std::istreambuf_iterator<char>());
        return prompt;
    }
    auto text = util::read_file(options.promptFile, kMaxPromptFile);
    if (!text) return text.error();
    if (!*text) return make_error(ErrorCode::InvalidArgument, "no file " + options.promptFile);
    return **text;
}

jobs::StartRequest to_request(const StartOptions& options, std::string prompt) {
    jobs::StartRequest r = options.request;
    r.prompt = std::move(prompt);
    char cwd[PATH_MAX];
    std::string here = ::getcwd(cwd, sizeof cwd) ? cwd : "";
    if (r.workFolder.empty())
        r.workFolder = here;
    else if (r.workFolder.front() != '/' && !here.empty())
        r.workFolder = here + "/" + r.workFolder;  // -C is relative to the shell's folder
    r.clientName = "claude-jobs command line";
    return r;
}

}  // namespace

int run_start(const GlobalOptions& global, const StartOptions& options) {
    auto prompt = read_prompt(options);
    if (!prompt) return report_error(prompt.error());
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    // The same acceptance as claude_start: every value is checked in one place.
    jobs::StartRequest request = to_request(options, std::move(*prompt));
    if (!request.resumeJobId.empty()) {
        auto id = resolve_job_id(**session, request.resumeJobId);
        if (!id) return report_error(id.error());
        request.resumeJobId = *id;
    }
    auto started = (*session)->service().start(request);
    if (!started) return report_error(started.error());
    const jobs::JobRecord& job = started->job;
    if (options.json) {
        std::printf("%s\n", tools::start_json(*started).dump(2).c_str());
        return kExitOk;
    }
    std::printf("%s\n", job.id.c_str());
    std::string how = std::string(jobs::state_name(job.state)) + " on backend " + job.backend;
    if (started->queuePosition)
        how += ", queue position " + std::to_string(*started->queuePosition) +
               " (launched when a slot frees, by a running claude-jobs server or by `claude-jobs "
               "wait " + job.id + "`)";
    if (started->existing) how = "already started with that idempotency key: " + how;
    std::fprintf(stderr, "%s\n", how.c_str());
    if (!started->attach.empty()) std::fprintf(stderr, "attach: %s\n", started->attach.c_str());
    return kExitOk;
}

}  // namespace cj::cli

// start: a job from the shell, through the claude_start tool itself (same checks, same
// messages). The id goes to stdout alone, so `id=$(claude-jobs start …)` works; what
// happened goes to stderr.
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "core/cli/commands.h"
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

}  // namespace

int run_start(const GlobalOptions& global, const StartOptions& options) {
    auto prompt = read_prompt(options);
    if (!prompt) return report_error(prompt.error());
    json args = {{"prompt", *prompt}};
    std::string folder = options.workFolder;
    if (folder.empty()) {
        char cwd[PATH_MAX];
        if (::getcwd(cwd, sizeof cwd)) folder = cwd;
    }
    if (!folder.empty()) args["workFolder"] = folder;
    auto put = [&](const char* name, const std::string& value) {
        if (!value.empty()) args[name] = value;
    };
    put("model", options.model);
    put("backend", options.backend);
    put("jobId", options.jobId);
    put("idempotencyKey", options.idempotencyKey);
    put("resumeSessionId", options.resumeSessionId);
    put("resumeJobId", options.resumeJobId);
    put("permissionMode", options.permissionMode);
    put("label", options.label);
    if (options.forkSession) args["forkSession"] = true;
    if (!options.allowedTools.empty()) args["allowedTools"] = options.allowedTools;
    if (!options.disallowedTools.empty()) args["disallowedTools"] = options.disallowedTools;
    if (options.timeoutSec) args["timeoutSec"] = *options.timeoutSec;
    if (options.maxBudgetUsd) args["maxBudgetUsd"] = *options.maxBudgetUsd;

    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto started = (*session)->call("claude_start", args);
    if (!started) return report_error(started.error());
    if (options.json) {
        std::printf("%s\n", started->dump(2).c_str());
        return kExitOk;
    }
    std::printf("%s\n", started->value("jobId", "").c_str());
    std::string how = started->value("status", "") + " on backend " + started->value("backend", "");
    if (started->contains("queuePosition"))
        how += ", queue position " + std::to_string((*started)["queuePosition"].get<long long>()) +
               " (a running claude-jobs server launches it when a slot frees)";
    if (started->value("existing", false))
        how = "already started with that idempotency key: " + how;
    std::fprintf(stderr, "%s\n", how.c_str());
    if (started->contains("attach"))
        std::fprintf(stderr, "attach: %s\n", (*started)["attach"].get<std::string>().c_str());
    return kExitOk;
}

}  // namespace cj::cli

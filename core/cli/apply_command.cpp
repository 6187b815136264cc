// apply and discard: an ended job's changes into its work folder (the patch, or its branch
// merged), or its worktree or copy removed. Both call the claude_apply tool in this process,
// so --json prints the tool's own result.
#include <cstdio>

#include "core/cli/commands.h"

namespace cj::cli {

using nlohmann::json;

namespace {

int report(const json& out, bool asJson) {
    if (asJson) {
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("%s\n", out.value("message", "").c_str());
        if (out.contains("conflicts"))
            for (const auto& c : out["conflicts"])
                std::printf("  conflict  %s: %s\n", c.value("path", "").c_str(),
                            c.value("reason", "").c_str());
        if (out.contains("command") && !out.value("applied", false))
            std::printf("command: %s\n", out.value("command", "").c_str());
    }
    return out.value("ok", false) ? kExitOk : kExitFailed;
}

int call_apply(const GlobalOptions& global, const json& args, bool asJson) {
    auto session = Session::open(global);
    if (!session) return report_error(session.error().message);
    auto out = (*session)->call("claude_apply", args);
    if (!out) return report_error(out.error());
    return report(*out, asJson);
}

}  // namespace

int run_apply(const GlobalOptions& global, const ApplyOptions& options) {
    return call_apply(global,
                      {{"jobId", options.jobId},
                       {"mode", options.merge ? "merge" : "patch"},
                       {"check", options.check}},
                      options.json);
}

int run_discard(const GlobalOptions& global, const ApplyOptions& options) {
    return call_apply(global, {{"jobId", options.jobId}, {"mode", "discard"}}, options.json);
}

}  // namespace cj::cli

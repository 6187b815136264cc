// The job tools (SPEC §4, and claude_send), one file each, all over the JobService.
#pragma once

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/jobs/job_service.h"
#include "core/tools/tool.h"

namespace cj::tools {

Tool make_start_tool(jobs::JobService& service);
Tool make_check_tool(jobs::JobService& service);
Tool make_wait_tool(jobs::JobService& service);
Tool make_cancel_tool(jobs::JobService& service);
Tool make_jobs_tool(jobs::JobService& service);
Tool make_send_tool(jobs::JobService& service);
Tool make_apply_tool(jobs::JobService& service);

// claude_apply's result.
nlohmann::json apply_json(const jobs::ApplyOutcome& outcome);
// modules: what the plugin loader found, loaded or refused; pluginDirs: the folders it
// searched, found or not.
Tool make_backends_tool(jobs::JobService& service, std::vector<nlohmann::json> modules,
                        std::vector<nlohmann::json> pluginDirs = {});

// claude_start's arguments, types only (jobs::StartAcceptor checks the values): for
// claude_start and for a task-augmented call of it. Throws ArgumentError.
struct StartArgs {
    jobs::StartRequest request;
    double waitSec = 0;  // 0 = answer at once
};
StartArgs read_start_args(const nlohmann::json& args, const RequestContext& ctx);
// Starts a job as claude_start does. When the reply may go first (ctx.replyEarly) and the
// caller does not wait for the job's end, the launch is left to ctx.afterReply, so the reply
// waits for the durable row and not for the supervisor's start.
claude_jobs::Result<jobs::StartOutcome> start_job(jobs::JobService& service,
                                                  const jobs::StartRequest& request,
                                                  bool waitsForEnd, RequestContext& ctx);

// claude_start's result for a start.
nlohmann::json start_json(const jobs::StartOutcome& started);

// The backends and setup warnings as claude_backends reports them (modules left empty).
nlohmann::json backends_json(const std::vector<jobs::BackendReport>& backends,
                             const std::vector<std::string>& warnings);

std::vector<Tool> make_job_tools(jobs::JobService& service, std::vector<nlohmann::json> modules,
                                 std::vector<nlohmann::json> pluginDirs = {});

}  // namespace cj::tools

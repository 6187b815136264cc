// Tasks as the MCP layer sees them (docs/protocol.md): a task-augmented tool call creates one,
// and the protocol's task methods read, wait for, list and cancel them. Both task faces — the
// 2025-11-25 tasks utility and the 2026-07-28 tasks extension — are served from this one
// provider; it knows the job store, the faces know the wire. A task is a job: its id is the
// job's id, so claude_check, claude_jobs, the command line and the resources see it too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/tools/request_context.h"
#include "core/tools/tool.h"
#include "core/util/cancel_token.h"

namespace cj::tools {

// One job seen as a task. Times are ms since the epoch; the faces write them as RFC 3339.
struct TaskInfo {
    std::string taskId;
    // working | input_required | completed | failed | cancelled (SPEC §3.2's mapping; an
    // interactive job waiting for its next input is input_required).
    std::string status;
    std::string statusMessage;  // "" = none
    std::int64_t createdAt = 0;
    std::int64_t lastUpdatedAt = 0;
    std::optional<std::int64_t> ttlMs;  // how long the result is kept after the end; none = unlimited
    std::int64_t pollIntervalMs = 0;    // what the server suggests between tasks/get calls
    // input_required: names the input awaited now; another wait for input has another key.
    std::string inputKey;
    bool terminal() const {
        return status == "completed" || status == "failed" || status == "cancelled";
    }
};

struct TaskPage {
    std::vector<TaskInfo> tasks;  // newest first
    std::string nextCursor;       // "" = the last page
};

// Every function is called on a worker thread, may block only within the bounds it is given,
// and answers NotFound for an unknown id (or one that is not an id at all) and
// PermissionDenied for a task another connection created.
struct Tasks {
    // Which tools accept a task-augmented call ("optional" task support): claude_start.
    std::vector<std::string> taskTools;
    // Where the client leaves the choice to the server (the 2026-07-28 extension): whether
    // this call of a task tool becomes a task. Empty = always. claude_start does unless it
    // asks to wait for the end (waitSec > 0), which is answered in place, bounded.
    std::function<bool(const std::string& tool, const nlohmann::json& args)> runsAsTask;
    // A task-augmented call of a task tool: starts the job as claude_start would and answers
    // at once. requestedTtlMs: the client's params.task.ttl, when it sent one.
    std::function<claude_jobs::Result<TaskInfo>(const std::string& tool,
                                                const nlohmann::json& args,
                                                std::optional<std::int64_t> requestedTtlMs,
                                                RequestContext& ctx)>
        create;
    std::function<claude_jobs::Result<TaskInfo>(const std::string& taskId)> get;
    // Returns once the task is terminal or needs input, at the bound, or when cancel fires —
    // whichever is first — with the task as it is then. progress (may be empty) is called
    // about once a second while it waits.
    std::function<claude_jobs::Result<TaskInfo>(
        const std::string& taskId, std::chrono::milliseconds bound, util::CancelToken& cancel,
        const std::function<void(const TaskInfo&)>& progress)>
        wait;
    // The tool result a terminal task ended with (what the call would have answered had it
    // not been a task): the job's final view, valid against the tool's output schema.
    std::function<claude_jobs::Result<ToolResult>(const std::string& taskId)> result;
    // This connection's tasks; cursor is a nextCursor given out before ("" = the first page).
    std::function<claude_jobs::Result<TaskPage>(const std::string& cursor)> list;
    // Cancels the job (its processes end); answers the task as it is after the request.
    std::function<claude_jobs::Result<TaskInfo>(const std::string& taskId)> cancel;
    // Sends an interactive job waiting for input its next message.
    std::function<claude_jobs::Result<TaskInfo>(const std::string& taskId,
                                                const std::string& text)>
        input;
    // Calls onChange (from any thread) whenever one of this connection's tasks changes status;
    // the returned function stops it.
    std::function<std::function<void()>(std::function<void(const TaskInfo&)> onChange)> watch;

    bool enabled() const { return static_cast<bool>(get); }
};

}  // namespace cj::tools

// The tasks extension of the 2026-07-28 era, io.modelcontextprotocol/tasks (docs/protocol.md,
// "The 2026-07-28 era"): a tools/call answered with resultType "task", tasks/get with the
// task's result, error or inputRequests inlined, tasks/update (an interactive job's next
// input) and tasks/cancel, served from the same tools::Tasks as the 2025-11-25 utility.
// Thread-safe: workers call it concurrently; it keeps no state of its own.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/protocol/resource_face.h"
#include "core/tools/request_context.h"
#include "core/tools/task.h"

namespace cj::protocol {

inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

class TaskExtension {
  public:
    explicit TaskExtension(const tools::Tasks& tasks) : tasks_(tasks) {}

    bool enabled() const { return tasks_.enabled(); }
    // Whether this call is answered as a task (a task tool, and the provider agrees).
    bool runs_as_task(const std::string& toolName, const nlohmann::json& args) const;
    // The ClientCapabilities a task method needs: the extension declared.
    static nlohmann::json required_capability();

    // The extension's Task (no resultType).
    static nlohmann::json task_json(const tools::TaskInfo& task);

    // tools/call of a task tool for a client that declared the extension: the job starts as
    // claude_start starts it, and the answer is the task, resultType "task".
    Outcome create(const std::string& toolName, const nlohmann::json& args,
                   tools::RequestContext& ctx) const;
    // The task with what its status brings: completed → result (claude_start's
    // CallToolResult once ended), failed → error, input_required → inputRequests.
    Outcome get(const nlohmann::json& params) const;
    // inputResponses for the outstanding input request: an accepted {text} goes to the job
    // as its next message.
    Outcome update(const nlohmann::json& params) const;
    Outcome cancel(const nlohmann::json& params) const;

    // The task with what its status brings (DetailedTask): what tasks/get answers and what
    // notifications/tasks/status carries.
    nlohmann::json detailed(const tools::TaskInfo& task) const;

  private:
    const tools::Tasks& tasks_;
};

}  // namespace cj::protocol

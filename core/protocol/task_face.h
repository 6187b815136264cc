// The 2025-11-25 tasks utility of a session (docs/protocol.md, "Tasks"): a task-augmented
// tools/call, tasks/get, tasks/result, tasks/list, tasks/cancel and notifications/tasks/status,
// served from a tools::Tasks. It knows the wire; the provider knows the job store.
// Thread-safe: workers call it concurrently; it keeps no state of its own.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/protocol/resource_face.h"
#include "core/tools/request_context.h"
#include "core/tools/task.h"

namespace cj::protocol {

// What tasks/result answers when its task has not ended within the bound, or needs input:
// the code MCP's SDKs use for a request that timed out, with the task as it is in data.task;
// the client calls tasks/result again (or polls tasks/get).
inline constexpr int kTaskNotEnded = -32001;
// The _meta key that ties a tasks/result answer to its task.
inline constexpr const char* kRelatedTaskKey = "io.modelcontextprotocol/related-task";

// Both task faces: unknown, foreign and malformed task ids, a bad cursor, an ended task to
// cancel are -32602, as the tasks utility says; anything else is the server's own failure.
Error task_error_from(const claude_jobs::Error& error);
// params.taskId of `method`: a string of a sensible length (its meaning is the provider's).
std::variant<std::string, Error> task_id_of(const nlohmann::json& params, const char* method);
// tasks/cancel of either face: the task as it is after the cancel request, or the error (an
// ended task's error carries the task, written by `render`, the face's own task shape).
std::variant<tools::TaskInfo, Error> cancel_task(const tools::Tasks& tasks,
                                                 const nlohmann::json& params,
                                                 nlohmann::json (*render)(const tools::TaskInfo&));

class TaskFace {
  public:
    struct Options {
        // tasks/result answers within this (a request never blocks past 50 s).
        std::chrono::milliseconds resultBound{45000};
    };

    explicit TaskFace(const tools::Tasks& tasks) : TaskFace(tasks, Options{}) {}
    TaskFace(const tools::Tasks& tasks, Options options) : tasks_(tasks), options_(options) {}

    bool enabled() const { return tasks_.enabled(); }
    // The protocol version whose tasks utility this face serves.
    static bool serves(const std::string& protocolVersion) {
        return protocolVersion == "2025-11-25";
    }
    // initialize's capabilities.tasks.
    nlohmann::json capability() const;
    // A tool's tools/list "execution" (null when it has no task support).
    nlohmann::json execution(const std::string& toolName) const;
    bool task_tool(const std::string& toolName) const;

    // The wire's Task object.
    static nlohmann::json task_json(const tools::TaskInfo& task);

    // A task-augmented tools/call of `toolName` (a task tool): CreateTaskResult.
    // taskParams: the call's params.task.
    Outcome create(const std::string& toolName, const nlohmann::json& args,
                   const nlohmann::json& taskParams, tools::RequestContext& ctx) const;
    Outcome get(const nlohmann::json& params) const;
    // Waits (bounded) for the task's end; then its CallToolResult with _meta's related task.
    // Sends notifications/progress about once a second when ctx has a progress token.
    Outcome result(const nlohmann::json& params, tools::RequestContext& ctx) const;
    Outcome list(const nlohmann::json& params) const;
    Outcome cancel(const nlohmann::json& params) const;

    // Calls send with a notifications/tasks/status params object whenever one of this
    // connection's tasks changes status; the returned function stops it.
    std::function<void()> watch(std::function<void(const nlohmann::json& params)> send) const;

  private:
    const tools::Tasks& tasks_;
    Options options_;
};

}  // namespace cj::protocol

#include "core/protocol/task_extension.h"

#include <algorithm>
#include <variant>

#include "core/protocol/task_face.h"
#include "core/protocol/tool_result.h"
#include "core/transcript/text.h"
#include "core/util/clock.h"

namespace cj::protocol {

using nlohmann::json;

namespace {

// The field of an accepted input response that carries the job's next message.
constexpr const char* kInputField = "text";

Error invalid(std::string message) {
    return Error{kInvalidParams, std::move(message), nullptr};
}

// What the job is asked, as the elicitation that stands for it.
json input_request(const tools::TaskInfo& task) {
    std::string message = task.statusMessage.empty()
                              ? "task " + task.taskId + " waits for its next message"
                              : "task " + task.taskId + " is " + task.statusMessage;
    return {{"method", "elicitation/create"},
            {"params",
             {{"mode", "form"},
              {"message", message},
              {"requestedSchema",
               {{"type", "object"},
                {"properties",
                 {{kInputField,
                   {{"type", "string"},
                    {"description", "the job's next message, as claude_send would send it"}}}}},
                {"required", json::array({kInputField})}}}}}};
}

}  // namespace

bool TaskExtension::runs_as_task(const std::string& toolName, const json& args) const {
    const auto& names = tasks_.taskTools;
    if (std::find(names.begin(), names.end(), toolName) == names.end()) return false;
    return !tasks_.runsAsTask || tasks_.runsAsTask(toolName, args);
}

json TaskExtension::required_capability() {
    return {{"extensions", {{kTasksExtension, json::object()}}}};
}

json TaskExtension::task_json(const tools::TaskInfo& task) {
    json t = {{"taskId", task.taskId},
              {"status", task.status},
              {"createdAt", util::iso8601(task.createdAt)},
              {"lastUpdatedAt", util::iso8601(task.lastUpdatedAt)},
              {"ttlMs", task.ttlMs ? json(*task.ttlMs) : json(nullptr)}};
    if (!task.statusMessage.empty()) t["statusMessage"] = task.statusMessage;
    if (task.pollIntervalMs > 0) t["pollIntervalMs"] = task.pollIntervalMs;
    return t;
}

Outcome TaskExtension::create(const std::string& toolName, const json& args,
                              tools::RequestContext& ctx) const {
    auto created = tasks_.create(toolName, args, std::nullopt, ctx);
    if (!created) return task_error_from(created.error());
    json answer = task_json(*created);
    answer["resultType"] = "task";
    return answer;
}

json TaskExtension::detailed(const tools::TaskInfo& task) const {
    json t = task_json(task);
    if (task.status == "input_required") {
        t["inputRequests"] = {
            {task.inputKey.empty() ? "input" : task.inputKey, input_request(task)}};
    } else if (task.status == "completed" || task.status == "failed") {
        auto result = tasks_.result(task.taskId);
        json callResult;
        if (result) {
            callResult = call_tool_result(std::move(*result), "of task " + task.taskId, true);
            callResult["resultType"] = "complete";
        }
        if (task.status == "completed") {
            if (result)
                t["result"] = std::move(callResult);
            else
                t["result"] = {
                    {"resultType", "complete"},
                    {"content",
                     json::array({{{"type", "text"}, {"text", result.error().message}}})},
                    {"isError", true}};
        } else {
            // The job's end is not a protocol error, but the extension gives a failed task an
            // error: its message says which end it was; data keeps the job's whole view.
            json error = {{"code", kInternalError},
                          {"message", "job " + task.taskId + " ended " + task.statusMessage}};
            if (result) error["data"] = {{"result", std::move(callResult)}};
            t["error"] = std::move(error);
        }
    }
    return t;
}

Outcome TaskExtension::get(const json& params) const {
    auto id = task_id_of(params, "tasks/get");
    if (auto* error = std::get_if<Error>(&id)) return *error;
    auto task = tasks_.get(std::get<std::string>(id));
    if (!task) return task_error_from(task.error());
    return detailed(*task);
}

Outcome TaskExtension::update(const json& params) const {
    auto parsed = task_id_of(params, "tasks/update");
    if (auto* error = std::get_if<Error>(&parsed)) return *error;
    const auto& id = std::get<std::string>(parsed);
    if (!tasks_.input)
        return Error{kMethodNotFound, "tasks/update: this server takes no input", nullptr};
    auto responses = params.find("inputResponses");
    if (responses == params.end() || !responses->is_object())
        return invalid("tasks/update params.inputResponses must be an object");
    auto task = tasks_.get(id);
    if (!task) return task_error_from(task.error());
    if (task->status != "input_required")
        return Error{kInvalidParams,
                     "task " + id + " is " + task->status +
                         ", not input_required: it has no outstanding input request",
                     json{{"task", task_json(*task)}}};
    for (const auto& [key, response] : responses->items()) {
        if (key != task->inputKey)
            return Error{kInvalidParams,
                         "task " + id + " has no outstanding input request \"" +
                             transcript::one_line(key, 100) + "\": the one it has is \"" +
                             task->inputKey + "\" (tasks/get shows it)",
                         nullptr};
        if (!response.is_object())
            return invalid("tasks/update params.inputResponses[\"" + task->inputKey +
                           "\"] must be an object (an elicitation result)");
        auto action = response.find("action");
        if (action != response.end() && *action != "accept") continue;  // declined: nothing sent
        auto content = response.find("content");
        const json* text = nullptr;
        if (content != response.end() && content->is_object()) {
            if (auto t = content->find(kInputField); t != content->end() && t->is_string())
                text = &*t;
        }
        if (!text)
            return invalid("tasks/update params.inputResponses[\"" + task->inputKey +
                           "\"].content." + kInputField +
                           " must be a string: the job's next message");
        auto sent = tasks_.input(id, text->get<std::string>());
        if (!sent) return task_error_from(sent.error());
    }
    return json::object();
}

Outcome TaskExtension::cancel(const json& params) const {
    auto cancelled = cancel_task(tasks_, params, &TaskExtension::task_json);
    if (auto* error = std::get_if<Error>(&cancelled)) return *error;
    return json::object();
}

}  // namespace cj::protocol

#include "core/protocol/task_face.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <variant>

#include "core/protocol/tool_result.h"
#include "core/transcript/text.h"
#include "core/util/clock.h"

namespace cj::protocol {

using claude_jobs::ErrorCode;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTaskIdBytes = 1024;

Error invalid_task_params(std::string message) {
    return Error{kInvalidParams, std::move(message), nullptr};
}

}  // namespace

Error task_error_from(const claude_jobs::Error& error) {
    switch (error.code) {
        case ErrorCode::NotFound:
        case ErrorCode::InvalidArgument:
        case ErrorCode::PermissionDenied:
        case ErrorCode::AlreadyExists:
            return Error{kInvalidParams, error.message,
                         json{{"code", claude_jobs::error_code_name(error.code)}}};
        default:
            return Error{kInternalError, error.message,
                         json{{"code", claude_jobs::error_code_name(error.code)},
                              {"retryable", error.retryable}}};
    }
}

namespace {

std::optional<Error> task_params_not_object(const json& params, const char* method, bool optional) {
    if (params.is_object() || (optional && params.is_null())) return std::nullopt;
    return invalid_task_params(std::string(method) + " params must be an object");
}

}  // namespace

std::variant<std::string, Error> task_id_of(const json& params, const char* method) {
    if (auto bad = task_params_not_object(params, method, false)) return *bad;
    auto it = params.find("taskId");
    if (it == params.end() || !it->is_string())
        return invalid_task_params(std::string(method) + " params.taskId must be a string");
    const auto& id = it->get_ref<const std::string&>();
    if (id.size() > kMaxTaskIdBytes)
        return invalid_task_params(std::string(method) + " params.taskId is longer than " +
                                   std::to_string(kMaxTaskIdBytes) +
                                   " bytes: no task has such an id");
    return id;
}

namespace {

// params.task.ttl: absent, or a whole number of ms above 0 (a huge one is capped).
std::variant<std::optional<std::int64_t>, Error> ttl_of(const json& task) {
    if (!task.is_object()) return invalid_task_params("tools/call params.task must be an object");
    auto it = task.find("ttl");
    if (it == task.end() || it->is_null()) return std::optional<std::int64_t>{};
    const json& ttl = *it;
    if (ttl.is_number_unsigned()) {
        auto v = ttl.get<std::uint64_t>();
        if (v == 0) return invalid_task_params("params.task.ttl must be above 0 ms (got 0)");
        return std::optional<std::int64_t>{
            static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX))};
    }
    if (ttl.is_number_integer())
        return invalid_task_params("params.task.ttl must be above 0 ms (got " + ttl.dump() + ")");
    if (ttl.is_number_float()) {
        double v = ttl.get<double>();
        if (!std::isfinite(v) || v != std::floor(v))
            return invalid_task_params(
                "params.task.ttl must be a whole number of milliseconds (got " + ttl.dump() + ")");
        if (v <= 0)
            return invalid_task_params("params.task.ttl must be above 0 ms (got " + ttl.dump() +
                                       ")");
        if (v >= 9.2e18) return std::optional<std::int64_t>{INT64_MAX};
        return std::optional<std::int64_t>{static_cast<std::int64_t>(v)};
    }
    return invalid_task_params("params.task.ttl must be a number of milliseconds");
}

}  // namespace

json TaskFace::capability() const {
    return {{"list", json::object()},
            {"cancel", json::object()},
            {"requests", {{"tools", {{"call", json::object()}}}}}};
}

bool TaskFace::task_tool(const std::string& toolName) const {
    const auto& names = tasks_.taskTools;
    return std::find(names.begin(), names.end(), toolName) != names.end();
}

json TaskFace::execution(const std::string& toolName) const {
    if (!task_tool(toolName)) return nullptr;
    return {{"taskSupport", "optional"}};
}

json TaskFace::task_json(const tools::TaskInfo& task) {
    json t = {{"taskId", task.taskId},
              {"status", task.status},
              {"createdAt", util::iso8601(task.createdAt)},
              {"lastUpdatedAt", util::iso8601(task.lastUpdatedAt)},
              {"ttl", task.ttlMs ? json(*task.ttlMs) : json(nullptr)}};
    if (!task.statusMessage.empty()) t["statusMessage"] = task.statusMessage;
    if (task.pollIntervalMs > 0) t["pollInterval"] = task.pollIntervalMs;
    return t;
}

Outcome TaskFace::create(const std::string& toolName, const json& args, const json& taskParams,
                         tools::RequestContext& ctx) const {
    if (!task_tool(toolName))
        return Error{kMethodNotFound,
                     "tool \"" + transcript::one_line(toolName, 100) +
                         "\" does not support task-augmented calls (its execution.taskSupport "
                         "is forbidden): call it without params.task",
                     nullptr};
    auto ttl = ttl_of(taskParams);
    if (auto* error = std::get_if<Error>(&ttl)) return *error;
    auto created = tasks_.create(toolName, args, std::get<std::optional<std::int64_t>>(ttl), ctx);
    if (!created) return task_error_from(created.error());
    return json{{"task", task_json(*created)}};
}

Outcome TaskFace::get(const json& params) const {
    auto id = task_id_of(params, "tasks/get");
    if (auto* error = std::get_if<Error>(&id)) return *error;
    auto task = tasks_.get(std::get<std::string>(id));
    if (!task) return task_error_from(task.error());
    return task_json(*task);
}

Outcome TaskFace::result(const json& params, tools::RequestContext& ctx) const {
    auto parsed = task_id_of(params, "tasks/result");
    if (auto* error = std::get_if<Error>(&parsed)) return *error;
    const auto& id = std::get<std::string>(parsed);

    std::function<void(const tools::TaskInfo&)> progress;
    int ticks = 0;
    if (ctx.progressToken) {
        progress = [&ctx, &ticks](const tools::TaskInfo& task) {
            json p = {{"progressToken", *ctx.progressToken}, {"progress", ++ticks}};
            if (!task.statusMessage.empty()) p["message"] = task.statusMessage;
            ctx.notify("notifications/progress", p);
        };
    }
    auto deadline = std::chrono::steady_clock::now() + options_.resultBound;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto task =
            tasks_.wait(id, std::max(left, std::chrono::milliseconds(0)), *ctx.cancel, progress);
        if (!task) return task_error_from(task.error());
        if (task->terminal()) break;
        bool needsInput = task->status == "input_required";
        bool over = std::chrono::steady_clock::now() >= deadline || ctx.cancel->cancelled();
        if (needsInput || over) {
            std::string why =
                needsInput ? ": it needs input (send it with claude_send), then call tasks/result "
                             "again"
                           : ": it has not ended within " +
                                 std::to_string(options_.resultBound.count() / 1000) +
                                 " s (tasks/result answers within that): call tasks/result "
                                 "again, or poll tasks/get";
            return Error{kTaskNotEnded,
                         "task " + transcript::one_line(id, 100) + " is " + task->status + why,
                         json{{"task", task_json(*task)}}};
        }
    }
    auto result = tasks_.result(id);
    if (!result) return task_error_from(result.error());
    // Tasks come with 2025-11-25, whose clients receive structuredContent.
    json answer = call_tool_result(std::move(*result), "of task " + id, true);
    answer["_meta"][kRelatedTaskKey] = {{"taskId", id}};
    return answer;
}

Outcome TaskFace::list(const json& params) const {
    if (auto bad = task_params_not_object(params, "tasks/list", true)) return *bad;
    std::string cursor;
    if (params.is_object()) {
        if (auto it = params.find("cursor"); it != params.end() && !it->is_null()) {
            if (!it->is_string())
                return invalid_task_params("tasks/list params.cursor must be a string");
            cursor = it->get<std::string>();
        }
    }
    auto page = tasks_.list(cursor);
    if (!page) return task_error_from(page.error());
    json tasks = json::array();
    for (const auto& task : page->tasks) tasks.push_back(task_json(task));
    json result = {{"tasks", std::move(tasks)}};
    if (!page->nextCursor.empty()) result["nextCursor"] = page->nextCursor;
    return result;
}

std::variant<tools::TaskInfo, Error> cancel_task(const tools::Tasks& tasks, const json& params,
                                                 json (*render)(const tools::TaskInfo&)) {
    auto parsed = task_id_of(params, "tasks/cancel");
    if (auto* error = std::get_if<Error>(&parsed)) return *error;
    const auto& id = std::get<std::string>(parsed);
    auto before = tasks.get(id);
    if (!before) return task_error_from(before.error());
    if (before->terminal())
        return Error{kInvalidParams,
                     "task " + id + " has already ended (" + before->status +
                         "): an ended task cannot be cancelled",
                     json{{"task", render(*before)}}};
    auto after = tasks.cancel(id);
    if (!after) return task_error_from(after.error());
    return *after;
}

Outcome TaskFace::cancel(const json& params) const {
    auto cancelled = cancel_task(tasks_, params, &TaskFace::task_json);
    if (auto* error = std::get_if<Error>(&cancelled)) return *error;
    return task_json(std::get<tools::TaskInfo>(cancelled));
}

std::function<void()> TaskFace::watch(std::function<void(const json& params)> send) const {
    if (!tasks_.watch) return [] {};
    return tasks_.watch(
        [send = std::move(send)](const tools::TaskInfo& task) { send(task_json(task)); });
}

}  // namespace cj::protocol

// What the task faces' tests share (task_face_test, task_extension_test): a task as a fake
// provider holds it, and reading a face's Outcome as the error or the result it must be.
#pragma once

#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/protocol/jsonrpc.h"
#include "core/tools/task.h"

namespace cj::testing {

// A task of the fakes: created 2025-11-24T16:00:00.000Z, updated 1.5 s later, kept a week;
// polled each second until it ends. One waiting for input asks "which file?" under key
// "input-1"; a failed one timed out.
inline tools::TaskInfo fake_task(const std::string& id, const std::string& status) {
    tools::TaskInfo t;
    t.taskId = id;
    t.status = status;
    t.createdAt = 1764000000000;
    t.lastUpdatedAt = 1764000001500;
    t.ttlMs = 604800000;
    t.pollIntervalMs = t.terminal() ? 0 : 1000;
    if (status == "input_required") {
        t.statusMessage = "asking: which file?";
        t.inputKey = "input-1";
    }
    if (status == "failed") t.statusMessage = "timed_out: ran past 60 s";
    return t;
}

inline int code_of(const protocol::Outcome& o) {
    if (auto* e = std::get_if<protocol::Error>(&o)) return e->code;
    ADD_FAILURE() << "not an error: " << std::get<nlohmann::json>(o).dump();
    return 0;
}

inline nlohmann::json result_of(const protocol::Outcome& o) {
    if (auto* e = std::get_if<protocol::Error>(&o)) {
        ADD_FAILURE() << "error " << e->code << ": " << e->message;
        return nlohmann::json::object();
    }
    return std::get<nlohmann::json>(o);
}

}  // namespace cj::testing

// Encoding and strict decoding of the backend's JSON (see state.h). Input may come from a
// database row or a file another process wrote, so nothing here trusts it or throws on it.
#include "state.h"

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace cj::local_detached {

namespace {

using Json = nlohmann::json;
using cj::plugin_common::read_int;
using cj::plugin_common::read_string;

bool parse_object(const std::string& text, Json& out, std::string& why) {
    out = Json::parse(text, nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
        why = "not a JSON object";
        return false;
    }
    return true;
}

}  // namespace

std::string encode_state(const RunnerState& state) {
    return Json{{"runnerPid", state.runnerPid},
                {"runnerStartTime", state.runnerStartTime},
                {"bootId", state.bootId},
                {"jobDir", state.jobDir}}
        .dump();
}

bool decode_state(const std::string& text, RunnerState& out, std::string& why) {
    Json json;
    if (!parse_object(text, json, why)) return false;
    RunnerState state;
    std::int64_t startTime = 0;
    // Pids 0 and 1 and negative ones would make a later kill() hit a group, init or everyone.
    if (!read_int(json, "runnerPid", 2, state.runnerPid, why) ||
        !read_int(json, "runnerStartTime", 0, startTime, why) ||
        !read_string(json, "bootId", state.bootId, why) ||
        !read_string(json, "jobDir", state.jobDir, why)) {
        return false;
    }
    if (state.jobDir.empty() || state.jobDir.front() != '/') {
        why = "\"jobDir\" is not an absolute path";
        return false;
    }
    state.runnerStartTime = static_cast<std::uint64_t>(startTime);
    out = std::move(state);
    return true;
}

}  // namespace cj::local_detached

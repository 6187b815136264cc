// Encoding the per-job state (see state.h).
#include "state.h"

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace cj::container {

std::string encode_state(const JobState& state) {
    return nlohmann::json{{"container", state.container},
                          {"containerId", state.containerId},
                          {"runtime", state.runtime},
                          {"jobDir", state.jobDir}}
        .dump();
}

bool decode_state(const std::string& text, JobState& out, std::string& why) {
    nlohmann::json json;
    if (!cj::plugin_common::parse_object(text, json, why)) return false;
    for (const char* key : {"container", "containerId", "runtime", "jobDir"}) {
        if (!json.contains(key) || !json[key].is_string()) {
            why = std::string("\"") + key + "\" is missing or not a string";
            return false;
        }
    }
    out.container = json["container"].get<std::string>();
    out.containerId = json["containerId"].get<std::string>();
    out.runtime = json["runtime"].get<std::string>();
    out.jobDir = json["jobDir"].get<std::string>();
    if (out.container.empty() || out.runtime.empty() || out.runtime.front() != '/') {
        why = "no container name or runtime path";
        return false;
    }
    return true;
}

}  // namespace cj::container

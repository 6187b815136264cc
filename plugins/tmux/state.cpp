// Encoding and strict decoding of the backend's JSON (see state.h).
#include "state.h"

#include <climits>

#include <nlohmann/json.hpp>

#include "common/json_fields.h"
#include "names.h"

namespace cj::tmux {

namespace {

using Json = nlohmann::json;
using namespace cj::plugin_common;  // the strict readers of a backend's JSON

// The pane program's identity (it starts the supervisor), as this backend has always kept it.
constexpr IdentityKeys kPaneKeys{"panePid", "paneStartTime", "bootId"};

constexpr std::int64_t kMaxKeepSec = 7 * 86400;

}  // namespace

std::string encode_state(const PaneState& s) {
    Json json{{"socket", s.socket},
              {"tmux", s.tmux},
              {"session", s.session},
              {"jobDir", s.jobDir},
              {"mode", s.mode}};
    write_identity(json, kPaneKeys, {s.panePid, s.paneStartTime, s.bootId});
    return json.dump();
}

bool decode_state(const std::string& text, PaneState& out, std::string& why) {
    Json j;
    if (!parse_object(text, j, why)) return false;
    PaneState s;
    claude_jobs::ProcessIdentity pane;
    if (!read_string(j, "socket", s.socket, why) || !read_string(j, "tmux", s.tmux, why) ||
        !read_string(j, "session", s.session, why) || !read_string(j, "jobDir", s.jobDir, why) ||
        !read_string(j, "mode", s.mode, why) || !read_identity(j, kPaneKeys, pane, why))
        return false;
    s.panePid = pane.pid;
    s.paneStartTime = pane.startTime;
    s.bootId = pane.bootId;
    if (!valid_socket_name(s.socket)) {
        why = "\"socket\" is not a socket name";
        return false;
    }
    if (s.jobDir.empty() || s.jobDir.front() != '/' || s.tmux.empty() || s.tmux.front() != '/') {
        why = "\"jobDir\" and \"tmux\" must be absolute paths";
        return false;
    }
    if (s.mode != "print" && s.mode != "interactive") {
        why = "\"mode\" must be print or interactive";
        return false;
    }
    out = std::move(s);
    return true;
}

bool parse_settings(const std::string& configJson, Settings& out, std::string& why) {
    Json config;
    if (!parse_object(configJson, config, why, "tmux settings", true)) return false;
    Settings s;
    for (const auto& [key, value] : config.items()) {
        if (key == "socket") {
            if (!value.is_string() || !valid_socket_name(value.get<std::string>())) {
                why = "socket: expected 1-64 of A-Z a-z 0-9 . _ -, got " + value.dump();
                return false;
            }
            s.socket = value.get<std::string>();
        } else if (key == "mode") {
            if (!value.is_string() || (value.get<std::string>() != "print" &&
                                       value.get<std::string>() != "interactive")) {
                why = "mode: expected \"print\" or \"interactive\", got " + value.dump();
                return false;
            }
            s.mode = value.get<std::string>();
        } else if (key == "keepSessionSec") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                value.get<std::int64_t>() > kMaxKeepSec) {
                why = "keepSessionSec: expected an integer from 0 to " +
                      std::to_string(kMaxKeepSec) + ", got " + value.dump();
                return false;
            }
            s.keepSessionSec = value.get<std::int64_t>();
        } else if (key == "tmuxPath") {
            if (!value.is_string() || value.get<std::string>().empty()) {
                why = "tmuxPath: expected a program name or path, got " + value.dump();
                return false;
            }
            s.tmux = value.get<std::string>();
        } else if (key == "columns" || key == "rows") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 20 ||
                value.get<std::int64_t>() > 1000) {
                why = key + ": expected an integer from 20 to 1000, got " + value.dump();
                return false;
            }
            (key == "columns" ? s.columns : s.rows) = value.get<int>();
        } else {
            why = "unknown key \"" + key +
                  "\" (known: socket, mode, keepSessionSec, tmuxPath, columns, rows)";
            return false;
        }
    }
    out = std::move(s);
    return true;
}

}  // namespace cj::tmux

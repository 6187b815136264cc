// The hook command (see hook.h).
#include "hook.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "claude_jobs/job_folder.h"
#include "core/util/json_input.h"

namespace cj::tmux {

namespace {

namespace folder = claude_jobs::job_folder;
using Json = nlohmann::json;

constexpr std::size_t kMaxPayload = 4 << 20;
constexpr std::size_t kMaxText = 64 << 10;
constexpr std::size_t kMaxShort = 2000;

std::string str(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Cut at a UTF-8 character boundary.
std::string head(std::string text, std::size_t max) {
    if (text.size() <= max) return text;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    return text;
}

}  // namespace

HookLines hook_lines(const std::string& payload, long long nowMs) {
    HookLines lines;
    Json in = util::parse_json_or_discarded(payload);
    if (in.is_discarded() || !in.is_object()) return lines;
    std::string event = str(in, "hook_event_name");
    if (event.empty()) return lines;
    std::string session = str(in, "session_id");
    Json state = {{"event", event}, {"at", nowMs}};
    if (!session.empty()) state["sessionId"] = session;
    if (event == "SessionStart") {
        state["source"] = str(in, "source");
        lines.event = Json{{"type", "system"},
                           {"subtype", "init"},
                           {"session_id", session},
                           {"model", str(in, "model")}}
                          .dump();
    } else if (event == "UserPromptSubmit") {
        state["prompt"] = head(str(in, "prompt"), kMaxShort);
    } else if (event == "Stop" || event == "StopFailure") {
        // StopFailure: the turn ended on an API error; its message is what the screen shows.
        std::string text = head(str(in, "last_assistant_message"), kMaxText);
        state["lastText"] = text;
        if (event == "StopFailure") state["error"] = head(str(in, "error"), kMaxShort);
        if (!text.empty()) {
            Json content = Json::array({{{"type", "text"}, {"text", text}}});
            lines.event = Json{
                {"type", "assistant"},
                {"message",
                 {{"id", "hook-stop-" + std::to_string(nowMs)},
                  {"role", "assistant"},
                  {"content", content}}},
                {"session_id",
                 session}}.dump();
        }
    } else if (event == "PreToolUse") {
        std::string tool = str(in, "tool_name");
        state["tool"] = tool;
        Json input = Json::object();
        if (auto it = in.find("tool_input"); it != in.end()) input = std::move(*it);
        // Inputs can be large (a file's new content): keep what a one-line summary needs.
        if (input.dump().size() > kMaxShort) {
            Json small = Json::object();
            for (const char* key :
                 {"command", "file_path", "path", "pattern", "url", "description"})
                if (input.contains(key) && input[key].is_string())
                    small[key] = head(input[key].get<std::string>(), 500);
            input = small;
        }
        Json content = Json::array({{{"type", "tool_use"},
                                     {"id", str(in, "tool_use_id")},
                                     {"name", tool},
                                     {"input", input}}});
        lines.event = Json{
            {"type", "assistant"},
            {"message",
             {{"id", "hook-tool-" + str(in, "tool_use_id")},
              {"role", "assistant"},
              {"content", content}}},
            {"session_id",
             session}}.dump();
    } else if (event == "Notification") {
        state["notificationType"] = str(in, "notification_type");
        state["message"] = head(str(in, "message"), kMaxShort);
    } else if (event == "SessionEnd") {
        state["reason"] = str(in, "reason");
    }
    lines.state = state.dump();
    return lines;
}

int run_hook(int argc, char** argv) {
    std::string jobDir;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--job-dir") == 0) jobDir = argv[i + 1];
    if (jobDir.empty() || jobDir.front() != '/') return 0;
    std::string payload;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(0, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (payload.size() < kMaxPayload) payload.append(buffer, static_cast<std::size_t>(n));
    }
    long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    HookLines lines = hook_lines(payload, now);
    // The transcript line first: once the state says "waiting", the answer is in the log.
    if (!lines.event.empty()) folder::append_line(jobDir, folder::kEventsFile, lines.event);
    if (!lines.state.empty()) folder::append_line(jobDir, folder::kInteractiveFile, lines.state);
    return 0;
}

}  // namespace cj::tmux

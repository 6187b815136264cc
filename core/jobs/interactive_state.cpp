// Reading an interactive job's state records (see interactive_state.h).
#include "core/jobs/interactive_state.h"

#include "claude_jobs/job_folder.h"

#include <nlohmann/json.hpp>

#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs {

namespace {

constexpr std::uint64_t kWindow = 256 << 10;

std::string str(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

InteractiveState fold_interactive_records(std::string_view text) {
    InteractiveState s;
    s.state = "starting";
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) break;  // torn: the rest is still being written
        auto record = util::parse_json_or_discarded(text.substr(start, end - start));
        start = end + 1;
        if (record.is_discarded() || !record.is_object()) continue;
        std::string event = str(record, "event");
        if (event == "InputSent" || event == "UserPromptSubmit" || event == "PreToolUse") {
            s.state = "working";
            s.question.clear();
            s.error.clear();
        } else if (event == "Stop" || event == "StopFailure") {
            s.state = "waiting_for_input";
            s.question.clear();
            s.lastText = str(record, "lastText");
            s.error = event == "StopFailure" ? str(record, "error") : "";
        } else if (event == "Notification") {
            std::string type = str(record, "notificationType");
            if (type == "idle_prompt") {
                s.state = "waiting_for_input";
                s.question.clear();
            } else if (type == "permission_prompt" || type == "elicitation_dialog") {
                s.state = "asking";
                s.question = str(record, "message");
            }
        } else if (event == "ScreenQuestion") {
            s.state = "asking";
            s.question = str(record, "question");
        } else if (event == "ScreenClear" || event == "SessionStart") {
            if (s.state == "asking") s.state = "starting";
            s.question.clear();
        } else if (event == "SessionEnd") {
            s.state = "ended";
            s.question.clear();
        }
    }
    return s;
}

std::optional<InteractiveState> read_interactive_state(const std::string& jobDir) {
    std::string path = jobDir + "/" + claude_jobs::job_folder::kInteractiveFile;
    auto size = util::file_size(path);
    if (!size) return std::nullopt;
    std::uint64_t from = *size > kWindow ? *size - kWindow : 0;
    auto text = util::read_range(path, from, static_cast<std::size_t>(*size - from));
    if (!text) return std::nullopt;
    std::string_view view(*text);
    if (from > 0) {  // start at the first whole record of the window
        auto nl = view.find('\n');
        view = nl == std::string_view::npos ? std::string_view() : view.substr(nl + 1);
    }
    return fold_interactive_records(view);
}

}  // namespace cj::jobs

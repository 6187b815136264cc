// Screen reading and prompt text (see screen.h).
#include "screen.h"

namespace cj::tmux {

std::string paste_text(const std::string& prompt) {
    std::string out;
    for (std::size_t i = 0; i < prompt.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(prompt[i]);
        if (c == '\r') {
            if (i + 1 < prompt.size() && prompt[i + 1] == '\n') continue;
            out += '\n';
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) continue;
        out += static_cast<char>(c);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t'))
        out.pop_back();
    return out;
}

bool screen_question(const std::string& screen, std::string& question) {
    // Claude Code's start-up dialogs offer numbered choices and end with this line.
    if (screen.find("Enter to confirm") == std::string::npos) return false;
    std::string text;
    std::size_t start = 0;
    while (start < screen.size()) {
        std::size_t end = screen.find('\n', start);
        if (end == std::string::npos) end = screen.size();
        std::string line = screen.substr(start, end - start);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::size_t first = line.find_first_not_of(' ');
        bool rule = line.find("───") != std::string::npos;
        if (first != std::string::npos && !rule) text += line.substr(first) + "\n";
        start = end + 1;
    }
    if (text.size() > 2000) text.resize(2000);
    question = text;
    return true;
}

bool screen_ready(const std::string& screen) {
    if (screen.find("Enter to confirm") != std::string::npos) return false;
    std::size_t start = 0;
    while (start < screen.size()) {
        std::size_t end = screen.find('\n', start);
        if (end == std::string::npos) end = screen.size();
        if (screen.compare(start, 3, "\xE2\x9D\xAF") == 0) return true;  // "❯" at line start
        start = end + 1;
    }
    return false;
}

}  // namespace cj::tmux

// Session names and quoting (see names.h).
#include "names.h"

namespace cj::tmux {

namespace {

bool plain_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '/' || c == ',' || c == '+' || c == ':' || c == '@' ||
           c == '%';
}

}  // namespace

std::string session_name(const std::string& jobId) {
    std::string name = "cj-";
    for (char c : jobId) name += c == '.' ? '+' : c;
    return name;
}

std::string shell_quote(const std::string& word) {
    bool plain = !word.empty();
    for (char c : word) plain = plain && plain_char(c);
    if (plain) return word;
    std::string quoted = "'";
    for (char c : word) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

std::string shell_join(const std::vector<std::string>& words) {
    std::string line;
    for (const auto& word : words) {
        if (!line.empty()) line += ' ';
        line += shell_quote(word);
    }
    return line;
}

std::string attach_command(const std::string& tmuxProgram, const std::string& socket,
                           const std::string& session) {
    return shell_join({tmuxProgram, "-L", socket, "attach", "-t", session});
}

bool valid_socket_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace cj::tmux

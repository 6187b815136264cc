#include "core/jobs/claude_program.h"

#include <fstream>
#include <sstream>

#include "common/spawn.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

constexpr const char* kFallbackPath = "/usr/bin:/bin";
constexpr const char* kInstallFix =
    "install Claude Code (npm install -g @anthropic-ai/claude-code), or set claude.path in the "
    "config (or $CLAUDE_CLI_PATH) to its absolute path; `claude-jobs doctor` checks the setup";

claude_jobs::Error cannot_run(const std::string& what, const std::string& fix) {
    return make_error(ErrorCode::Unavailable, "cannot run claude: " + what + "; " + fix);
}

// The interpreter a script names on its first line ("" for a binary), and with
// `/usr/bin/env [-S] name` the name env looks up.
struct Interpreter {
    std::string path;
    std::string viaEnv;
};

Interpreter read_interpreter(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line) || line.rfind("#!", 0) != 0) return {};
    std::istringstream words(line.substr(2));
    Interpreter found;
    words >> found.path;
    if (found.path.size() < 4 || found.path.compare(found.path.size() - 4, 4, "/env") != 0)
        return found;
    std::string word;
    while (words >> word)
        if (word.front() != '-') {
            found.viaEnv = word;
            break;
        }
    return found;
}

}  // namespace

Result<std::string> find_runnable_claude(const std::string& program,
                                         const std::vector<std::string>& env) {
    std::string path = plugin_common::path_in(env, kFallbackPath);
    bool named = program.find('/') == std::string::npos;
    std::string found = plugin_common::find_program(program, path);
    if (found.empty())
        return cannot_run(
            "\"" + program + "\" " +
                (named ? "is not found on PATH (" + path + ")" : "is not an executable file"),
            kInstallFix);
    Interpreter interpreter = read_interpreter(found);
    if (interpreter.path.empty()) return found;
    if (!plugin_common::executable_file(interpreter.path))
        return cannot_run(found + " needs " + interpreter.path + ", which is not executable",
                          "reinstall Claude Code, or point claude.path at a working claude");
    if (!interpreter.viaEnv.empty() &&
        plugin_common::find_program(interpreter.viaEnv, path).empty())
        return cannot_run(found + " runs with " + interpreter.viaEnv +
                              ", which is not found on PATH (" + path + ")",
                          "start the server with a PATH that has " + interpreter.viaEnv +
                              " (`claude-jobs register` writes claude's path and this shell's "
                              "PATH into the client's entry), or set PATH in claude.env");
    return found;
}

bool runs_host_claude(const std::string& plugin) {
    return plugin != "container";
}

}  // namespace cj::jobs

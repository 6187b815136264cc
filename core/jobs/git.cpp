#include "core/jobs/git.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>

#include "core/jobs/start_request.h"
#include "core/transcript/text.h"
#include "common/command.h"
#include "common/spawn.h"

namespace cj::jobs::git {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

// The server's environment without anything that would point git elsewhere (GIT_DIR,
// GIT_INDEX_FILE, GIT_WORK_TREE, …) or make it ask, page, or translate.
std::vector<std::string> git_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (const auto& e : process_environment())
        if (e.rfind("GIT_", 0) != 0 && e.rfind("LANG=", 0) != 0 && e.rfind("LC_", 0) != 0)
            env.push_back(e);
    for (const char* e : {"LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat",
                          "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=claude-jobs",
                          "GIT_AUTHOR_EMAIL=claude-jobs@localhost",
                          "GIT_COMMITTER_NAME=claude-jobs",
                          "GIT_COMMITTER_EMAIL=claude-jobs@localhost"})
        env.emplace_back(e);
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::string verb(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a != "-c" && a.rfind("-", 0) != 0 && a.find('=') == std::string::npos) return a;
    return args.empty() ? "" : args.front();
}

}  // namespace

Result<void> check_path(const std::string& what, const std::string& path) {
    if (path.empty() || path[0] != '/')
        return make_error(ErrorCode::InvalidArgument, what + " must be an absolute path");
    for (char c : path)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return make_error(ErrorCode::InvalidArgument,
                              what + " \"" + transcript::one_line(path, 200) +
                                  "\" holds control characters; git is not run on it");
    return {};
}

Result<std::string> job_branch(const std::string& jobId) {
    bool plain = !jobId.empty() && jobId[0] != '-' && jobId[0] != '.' &&
                 jobId.find("..") == std::string::npos &&
                 !(jobId.size() >= 5 && jobId.compare(jobId.size() - 5, 5, ".lock") == 0) &&
                 jobId.back() != '.';
    for (char c : jobId)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            plain = false;
    if (!plain)
        return make_error(ErrorCode::InvalidArgument,
                          "job id \"" + transcript::one_line(jobId, 80) +
                              "\" cannot name a git branch (no '..', no leading '-' or '.', no "
                              "trailing '.' or \".lock\"); choose another jobId");
    return "claude-jobs/" + jobId;
}

Git::Git(std::string program) : program_(std::move(program)) {
    if (program_.empty()) {
        const char* path = std::getenv("PATH");
        program_ = plugin_common::find_program("git", path ? path : "/usr/bin:/bin");
        if (program_.empty()) program_ = "/usr/bin/git";
    }
}

Output Git::run(const std::string& dir, const std::vector<std::string>& args,
                const RunOptions& options) const {
    std::vector<std::string> argv = {program_,
                                     "--no-pager",
                                     "-c",
                                     "core.hooksPath=/dev/null",
                                     "-c",
                                     "core.fsmonitor=false",
                                     "-c",
                                     "core.quotePath=false",
                                     "-C",
                                     dir};
    argv.insert(argv.end(), args.begin(), args.end());
    plugin_common::CommandOptions o;
    o.timeout = options.timeout;
    o.env = git_environment(options.env);
    o.workDir = "/";
    o.newSession = true;
    o.maxCapture = options.maxCapture;
    auto r = plugin_common::run_captured(argv, o);
    Output out;
    out.exitCode = r.started && !r.timedOut ? r.exitCode : -1;
    out.out = std::move(r.out);
    out.err = r.started ? std::move(r.err) : plugin_common::describe_failure("git", r);
    return out;
}

Result<std::string> Git::must(const std::string& dir, const std::vector<std::string>& args,
                              const RunOptions& options) const {
    auto r = run(dir, args, options);
    if (!r.ok())
        return make_error(ErrorCode::Unavailable,
                          "git " + verb(args) + " failed in " + transcript::one_line(dir, 200) +
                              ": " + plugin_common::first_lines(r.err.empty() ? r.out : r.err));
    return std::move(r.out);
}

bool may_be_in_repository(const std::string& folder) {
    auto exists = [](const std::string& path) {
        struct stat st;
        return ::lstat(path.c_str(), &st) == 0;
    };
    auto is_dir = [](const std::string& path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    };
    if (folder.empty() || folder[0] != '/') return true;
    std::string dir = folder;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    for (;;) {
        std::string base = dir == "/" ? "" : dir;
        if (exists(base + "/.git")) return true;
        // A bare repository (or a git directory) entered directly.
        if (exists(base + "/HEAD") && is_dir(base + "/objects") && is_dir(base + "/refs"))
            return true;
        if (dir == "/") return false;
        auto slash = dir.rfind('/');
        dir = slash == 0 ? "/" : dir.substr(0, slash);
    }
}

std::string trimmed(const std::string& text) {
    std::string s = text;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

std::vector<std::string> split_nul(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        items.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

}  // namespace cj::jobs::git

#include "core/cli/client_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::ordered_json;

namespace {

std::string get(const config::Environment& env, const std::string& name) {
    auto found = env.find(name);
    return found == env.end() ? std::string() : found->second;
}

Result<void> write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;  // a signal arrived mid-write: go on
        if (n < 0) return make_error(ErrorCode::Unavailable, std::strerror(errno), errno);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<void> write_new(const std::string& path, const std::string& text, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return make_error(ErrorCode::Unavailable,
                          "cannot create " + path + ": " + std::strerror(errno), errno);
    auto w = write_all(fd, text);
    if (w && ::fsync(fd) != 0) w = make_error(ErrorCode::Unavailable, std::strerror(errno), errno);
    ::close(fd);
    if (!w) {
        ::unlink(path.c_str());
        return make_error(ErrorCode::Unavailable,
                          "cannot write " + path + ": " + w.error().message);
    }
    return {};
}

std::string utc_stamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace

Os current_os() {
#if defined(__APPLE__)
    return Os::MacOs;
#elif defined(_WIN32)
    return Os::Windows;
#else
    return Os::Linux;
#endif
}

Result<std::string> desktop_config_path(Os os, const config::Environment& env,
                                        const std::vector<MsixPackage>& packages) {
    constexpr const char* kFile = "claude_desktop_config.json";
    std::string home = get(env, "HOME");
    switch (os) {
        case Os::MacOs:
            if (home.empty()) return make_error(ErrorCode::InvalidArgument, "HOME is not set");
            return home + "/Library/Application Support/Claude/" + kFile;
        case Os::Windows: {
            std::vector<MsixPackage> sorted = packages;
            std::sort(sorted.begin(), sorted.end(),
                      [](const auto& a, const auto& b) { return a.folder < b.folder; });
            const MsixPackage* chosen = nullptr;
            for (const auto& p : sorted)
                if (p.hasConfig && !chosen) chosen = &p;
            if (!chosen && !sorted.empty()) chosen = &sorted.front();
            if (chosen) {
                std::string local = get(env, "LOCALAPPDATA");
                if (local.empty())
                    return make_error(ErrorCode::InvalidArgument, "LOCALAPPDATA is not set");
                return local + "\\Packages\\" + chosen->folder + "\\LocalCache\\Roaming\\Claude\\" +
                       kFile;
            }
            std::string appdata = get(env, "APPDATA");
            if (appdata.empty())
                return make_error(ErrorCode::InvalidArgument, "APPDATA is not set");
            return appdata + "\\Claude\\" + kFile;
        }
        case Os::Linux: {
            std::string xdg = get(env, "XDG_CONFIG_HOME");
            if (!xdg.empty() && xdg[0] == '/') return xdg + "/Claude/" + kFile;
            if (home.empty()) return make_error(ErrorCode::InvalidArgument, "HOME is not set");
            return home + "/.config/Claude/" + kFile;
        }
    }
    return make_error(ErrorCode::Internal, "unknown OS");
}

Result<std::string> claude_code_config_path(const std::string& scope,
                                            const config::Environment& env,
                                            const std::string& projectDir) {
    if (scope == "project") {
        if (projectDir.empty()) return make_error(ErrorCode::InvalidArgument, "no project folder");
        return projectDir + "/.mcp.json";
    }
    if (scope != "user")
        return make_error(ErrorCode::InvalidArgument,
                          "scope must be user or project, got \"" + scope + "\"");
    std::string dir = get(env, "CLAUDE_CONFIG_DIR");
    if (dir.empty()) dir = get(env, "HOME");
    if (dir.empty()) return make_error(ErrorCode::InvalidArgument, "HOME is not set");
    return dir + "/.claude.json";
}

const char* change_name(Change change) {
    switch (change) {
        case Change::Added:
            return "added";
        case Change::Updated:
            return "updated";
        case Change::Unchanged:
            return "unchanged";
    }
    return "?";
}

Result<ordered_json> parse_config_object(const std::string& text) {
    bool blank = std::all_of(text.begin(), text.end(), [](char c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    });
    if (blank) return ordered_json::object();
    auto parsed = util::parse_json_input<ordered_json>(text);
    if (parsed.status == util::JsonStatus::Syntax)
        return make_error(ErrorCode::InvalidArgument,
                          "it is not valid JSON; fix it (or move it away) and run again");
    if (parsed.status == util::JsonStatus::TooDeep)
        return make_error(ErrorCode::InvalidArgument, "its JSON is " + parsed.error);
    if (!parsed.value.is_object())
        return make_error(ErrorCode::InvalidArgument, "it is JSON but not an object");
    return std::move(parsed.value);
}

Result<Merged> merge_server(const std::string& existingText, const std::string& name,
                            const ordered_json& entry) {
    Merged out;
    auto parsed = parse_config_object(existingText);
    if (!parsed) return parsed.error();
    out.config = std::move(*parsed);
    if (!out.config.contains("mcpServers")) out.config["mcpServers"] = ordered_json::object();
    auto& servers = out.config["mcpServers"];
    if (!servers.is_object())
        return make_error(ErrorCode::InvalidArgument, "its mcpServers is not an object");
    if (!servers.contains(name)) {
        out.change = Change::Added;
    } else if (servers[name] == entry) {
        out.change = Change::Unchanged;
    } else {
        out.change = Change::Updated;
    }
    servers[name] = entry;
    return out;
}

Result<std::string> replace_file_with_backup(const std::string& requested,
                                             const std::string& text) {
    std::string path = requested;
    char real[PATH_MAX];
    if (::realpath(requested.c_str(), real)) path = real;  // write through a symlink
    std::string dir = path.substr(0, path.rfind('/'));
    if (dir.empty()) dir = "/";
    std::string base = path.substr(path.rfind('/') + 1);

    std::string backup;
    mode_t mode = 0600;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        mode = st.st_mode & 07777;
        auto old = util::read_file(path, 64 << 20);
        if (!old) return old.error();
        backup = path + ".bak-" + utc_stamp();
        for (int n = 1; ::access(backup.c_str(), F_OK) == 0; ++n)
            backup = path + ".bak-" + utc_stamp() + "-" + std::to_string(n);
        if (auto w = write_new(backup, old->value_or(""), mode); !w) return w.error();
    } else if (errno != ENOENT) {
        return make_error(ErrorCode::Unavailable,
                          "cannot read " + path + ": " + std::strerror(errno), errno);
    }
    std::string temp = dir + "/." + base + ".tmp-" + std::to_string(::getpid());
    ::unlink(temp.c_str());
    if (auto w = write_new(temp, text, mode); !w) return w.error();
    ::chmod(temp.c_str(), mode);  // exactly the old mode, whatever the umask
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(temp.c_str());
        return make_error(ErrorCode::Unavailable,
                          "cannot replace " + path + ": " + std::strerror(e), e);
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return backup;
}

}  // namespace cj::cli

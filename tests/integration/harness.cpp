#include "harness.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

extern char** environ;

namespace cj::testing {

std::string bin_path(const std::string& name) { return std::string(BUILD_BIN_DIR) + "/" + name; }

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0) return false;
    // A zombie is dead for our purposes.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = content.rfind(')');
    return close == std::string::npos || close + 2 >= content.size() || content[close + 2] != 'Z';
}

json default_config(const std::string& stateDir) {
    return {{"stateDir", stateDir},
            {"claude", {{"path", bin_path("fake-claude")}, {"permissionMode", ""}}},
            {"maxConcurrentJobs", 4},
            {"logLevel", "debug"}};
}

// Hands a folder tree to another user (the server run as that user must own its state).
static void give_tree(const std::string& path, uid_t uid) {
    if (::lchown(path.c_str(), uid, uid) != 0) throw std::runtime_error("chown failed: " + path);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
        if (::lchown(entry.path().c_str(), uid, uid) != 0)
            throw std::runtime_error("chown failed: " + entry.path().string());
}

Server::Server(const std::string& stateDir, const json& config, std::vector<std::string> extraEnv,
               std::optional<uid_t> runAs) {
    std::string config_path = stateDir + "/config.json";
    std::filesystem::create_directories(stateDir);
    write_text(config_path, config.dump(2));
    if (runAs) give_tree(stateDir, *runAs);
    stderrPath_ = stateDir + "/server-" + std::to_string(::time(nullptr)) + "-" +
                  std::to_string(reinterpret_cast<std::uintptr_t>(this) % 100000) + ".log";
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        // The server's view of its setup must not depend on the machine running the tests.
        if (entry.rfind("CLAUDE_JOBS_", 0) == 0 || entry.rfind("CLAUDE_ASYNC_", 0) == 0 ||
            entry.rfind("IS_SANDBOX=", 0) == 0 || entry.rfind("CLAUDE_CODE_SESSION_ID=", 0) == 0 ||
            entry.rfind("CLAUDE_PROJECT_DIR=", 0) == 0)
            continue;
        env_strings.push_back(entry);
    }
    for (auto& e : extraEnv) env_strings.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    // CJ_TEST_SERVER: another claude-jobs binary to drive (an installed one), else the build's.
    const char* other = std::getenv("CJ_TEST_SERVER");
    std::string binary = other && *other ? other : bin_path("claude-jobs");
    std::string flag = "--config";
    std::vector<char*> argv = {binary.data(), flag.data(), config_path.data(), nullptr};
    int err_fd = ::open(stderrPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(to_child[0], 0);
        ::dup2(from_child[1], 1);
        ::dup2(err_fd, 2);
        if (runAs && (::setgroups(0, nullptr) != 0 || ::setgid(*runAs) != 0 ||
                      ::setuid(*runAs) != 0))
            ::_exit(126);
        ::execve(binary.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    ::close(err_fd);
    in_ = to_child[1];
    out_ = from_child[0];
    reader_ = std::thread([this] { reader(); });
}

Server::~Server() {
    if (in_ >= 0) ::close(in_);
    if (!reaped_ && pid_ > 0) {
        if (wait_exit(std::chrono::seconds(5)) == -1) kill_hard();
    }
    if (reader_.joinable()) reader_.join();
    if (out_ >= 0) ::close(out_);
}

void Server::reader() {
    std::string buffer;
    char chunk[65536];
    for (;;) {
        ssize_t n = ::read(out_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            std::lock_guard<std::mutex> lock(mutex_);
            lines_.push_back(line);
            json j = json::parse(line, nullptr, false);
            messages_.push_back(j.is_discarded() ? json{{"__unparsable", line}} : j);
            cv_.notify_all();
        }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    eof_ = true;
    cv_.notify_all();
}

void Server::send_line(const std::string& line) {
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(in_, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("server stdin closed");
        done += static_cast<std::size_t>(n);
    }
}

std::optional<json> Server::wait_message(const std::function<bool(const json&)>& pred,
                                         std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto it = messages_.begin(); it != messages_.end(); ++it) {
            if (pred(*it)) {
                json m = *it;
                messages_.erase(it);
                return m;
            }
        }
        if (eof_) return std::nullopt;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
            for (auto it = messages_.begin(); it != messages_.end(); ++it)
                if (pred(*it)) {
                    json m = *it;
                    messages_.erase(it);
                    return m;
                }
            return std::nullopt;
        }
    }
}

std::optional<json> Server::response_for(const json& id, std::chrono::milliseconds timeout) {
    return wait_message(
        [&](const json& m) {
            return m.is_object() && m.contains("id") && m["id"] == id && !m.contains("method");
        },
        timeout);
}

json Server::request(const std::string& method, const json& params,
                     std::chrono::milliseconds timeout) {
    std::int64_t id;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        id = nextId_++;
    }
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    auto response = response_for(id, timeout);
    if (!response)
        throw std::runtime_error("no response to " + method + "; server stderr:\n" + stderr_text());
    return *response;
}

json Server::initialize(const std::string& version) {
    json r = request("initialize", {{"protocolVersion", version},
                                    {"capabilities", json::object()},
                                    {"clientInfo", {{"name", "harness"}, {"version", "1"}}}});
    send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    return r;
}

json Server::call(const std::string& tool, const json& args, std::chrono::milliseconds timeout) {
    json r = request("tools/call", {{"name", tool}, {"arguments", args}}, timeout);
    if (!r.contains("result"))
        throw std::runtime_error("tools/call " + tool + " failed: " + r.dump());
    return r["result"];
}

json Server::ok(const std::string& tool, const json& args) {
    json r = call(tool, args);
    if (r.value("isError", false))
        throw std::runtime_error(tool + " returned an error: " + r["structuredContent"].dump());
    return r["structuredContent"];
}

json Server::wait_done(const std::string& jobId, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        json r = ok("claude_wait", {{"jobIds", {jobId}}, {"timeoutSec", 10}});
        if (!r["done"].empty()) return r["done"][0];
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error("job " + jobId + " did not end in " +
                                     std::to_string(seconds) + " s");
    }
}

void Server::close_stdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
}

int Server::wait_exit(std::chrono::milliseconds timeout) {
    if (reaped_) return 0;
    int status = 0;
    bool done = wait_until(
        [&] {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            return r == pid_;
        },
        timeout);
    if (!done) return -1;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Server::kill_hard() {
    if (reaped_) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
}

json runner_info(const std::string& stateDir, const std::string& jobId) {
    std::string path = stateDir + "/jobs/" + jobId + "/runner.json";
    EXPECT_TRUE(wait_until([&] { return !read_text(path).empty(); }))
        << "no runner.json for job " << jobId;
    return json::parse(read_text(path), nullptr, false);
}

std::string Server::stderr_text() const { return read_text(stderrPath_); }

std::vector<std::string> Server::stdout_lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
}

}  // namespace cj::testing

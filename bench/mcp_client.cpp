// Benchmark client for the claude-jobs server (see mcp_client.h).
#include "bench/mcp_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cj::bench {

std::int64_t wall_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

McpClient::McpClient(const std::string& binDir, const std::string& stateDir, const json& config) {
    std::string configPath = stateDir + "/config.json";
    {
        std::ofstream out(configPath, std::ios::trunc);
        out << config.dump(2);
        if (!out) throw std::runtime_error("cannot write " + configPath);
    }
    stderrPath_ = stateDir + "/server.log";

    // The server must not see the environment of a job it might be running inside.
    std::vector<std::string> envStrings;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("CLAUDE_JOBS_", 0) == 0 || entry.rfind("CLAUDE_ASYNC_", 0) == 0) continue;
        envStrings.push_back(entry);
    }
    std::vector<char*> envp;
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);

    std::string binary = binDir + "/claude-jobs";
    std::string flag = "--config";
    std::vector<char*> argv = {binary.data(), flag.data(), configPath.data(), nullptr};

    int toChild[2], fromChild[2];
    if (::pipe2(toChild, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (::pipe2(fromChild, O_CLOEXEC) != 0) {
        ::close(toChild[0]);
        ::close(toChild[1]);
        throw std::runtime_error("pipe failed");
    }
    int errFd = ::open(stderrPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    spawnedAt_ = Clock::now();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(toChild[0], 0);
        ::dup2(fromChild[1], 1);
        if (errFd >= 0) ::dup2(errFd, 2);
        ::execve(binary.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(toChild[0]);
    ::close(fromChild[1]);
    if (errFd >= 0) ::close(errFd);
    if (pid_ < 0) {
        ::close(toChild[1]);
        ::close(fromChild[0]);
        throw std::runtime_error("fork failed");
    }
    in_ = toChild[1];
    out_ = fromChild[0];
}

McpClient::~McpClient() {
    try {
        stop(std::chrono::seconds(5));
    } catch (...) {
    }
}

void McpClient::send_line(const std::string& line) {
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(in_, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("the server's stdin is closed");
        done += static_cast<std::size_t>(n);
    }
}

bool McpClient::read_line(std::string& line, Clock::time_point deadline) {
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            line.assign(buffer_, 0, nl);
            buffer_.erase(0, nl + 1);
            return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{out_, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        char chunk[1 << 16];
        ssize_t n = ::read(out_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Reply McpClient::request(const std::string& method, const json& params,
                         std::chrono::milliseconds timeout) {
    std::int64_t id = nextId_++;
    std::string line =
        json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
    Clock::time_point sent = Clock::now();
    send_line(line);
    auto deadline = Clock::now() + timeout;
    while (read_line(line, deadline)) {
        Reply reply;
        reply.sent = sent;
        reply.received = Clock::now();
        reply.receivedWallNs = wall_ns();
        reply.bytes = line.size();
        json message = json::parse(line, nullptr, false);
        if (message.is_discarded()) throw std::runtime_error("unparsable line from the server");
        if (!message.is_object() || message.contains("method")) continue;  // a notification
        if (message.value("id", json()) != json(id)) continue;
        reply.message = std::move(message);
        return reply;
    }
    throw std::runtime_error("no response to " + method + " (server log: " + stderrPath_ + ")");
}

Reply McpClient::notification(const std::string& method, std::chrono::milliseconds timeout) {
    std::string line;
    auto deadline = Clock::now() + timeout;
    while (read_line(line, deadline)) {
        json message = json::parse(line, nullptr, false);
        if (!message.is_object() || message.value("method", "") != method) continue;
        Reply reply;
        reply.received = Clock::now();
        reply.receivedWallNs = wall_ns();
        reply.bytes = line.size();
        reply.message = std::move(message);
        return reply;
    }
    throw std::runtime_error("no " + method + " (server log: " + stderrPath_ + ")");
}

Reply McpClient::initialize(const std::string& version) {
    Reply r = request("initialize", {{"protocolVersion", version},
                                     {"capabilities", json::object()},
                                     {"clientInfo", {{"name", "claude-jobs-bench"}, {"version", "1"}}}});
    send_line(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
    return r;
}

Reply McpClient::call(const std::string& tool, const json& args,
                      std::chrono::milliseconds timeout) {
    Reply r = request("tools/call", {{"name", tool}, {"arguments", args}}, timeout);
    const json& result = r.message.contains("result") ? r.message["result"] : json();
    if (!result.is_object() || result.value("isError", false))
        throw std::runtime_error(tool + " failed: " + r.message.dump().substr(0, 500));
    return r;
}

void McpClient::stop(std::chrono::milliseconds grace) {
    if (in_ >= 0) {
        ::close(in_);
        in_ = -1;
    }
    if (pid_ > 0) {
        auto deadline = Clock::now() + grace;
        int status = 0;
        for (;;) {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_ || (r < 0 && errno != EINTR)) break;
            if (Clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        pid_ = -1;
    }
    if (out_ >= 0) {
        ::close(out_);
        out_ = -1;
    }
}

}  // namespace cj::bench

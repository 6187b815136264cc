// Test harness for the built server binary: starts claude-jobs over pipes with a throwaway
// state dir and config, speaks JSON-RPC to it, and offers bounded waiting on conditions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <condition_variable>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"
#include "support/text_files.h"

namespace cj::testing {

using nlohmann::json;

std::string bin_path(const std::string& name);  // BUILD_BIN_DIR/name

// Polls pred every 10 ms until it holds or the timeout passes; returns whether it held.
bool wait_until(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

bool process_alive(pid_t pid);
// A job's runner.json, once the supervisor has written it (a test failure if it never does).
json runner_info(const std::string& stateDir, const std::string& jobId);

// The config a test server gets: the stand-in claude, no permission flag, tight limits.
json default_config(const std::string& stateDir);

class Server {
public:
    // Starts the binary with --config <dir>/config.json written from `config`. With runAs
    // (the test runs as root), the server runs as that user, and stateDir is given to it.
    Server(const std::string& stateDir, const json& config,
           std::vector<std::string> extraEnv = {}, std::optional<uid_t> runAs = std::nullopt);
    ~Server();
    Server(const Server&) = delete;

    // initialize + notifications/initialized.
    json initialize(const std::string& version = "2025-06-18");

    void send_line(const std::string& line);
    void send(const json& message) { send_line(message.dump()); }
    // Sends a request with a fresh integer id and waits for its response.
    json request(const std::string& method, const json& params = json::object(),
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // tools/call; returns the result object ({content, structuredContent, isError}).
    json call(const std::string& tool, const json& args,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // structuredContent of a call that must succeed (isError false).
    json ok(const std::string& tool, const json& args);
    // Waits for a message matching pred (responses and notifications both).
    std::optional<json> wait_message(const std::function<bool(const json&)>& pred,
                                     std::chrono::milliseconds timeout);
    std::optional<json> response_for(const json& id, std::chrono::milliseconds timeout);

    // Waits for a job to reach a terminal state (via claude_wait), returns its view.
    json wait_done(const std::string& jobId, int seconds = 60);

    void close_stdin();
    // Waits for exit; returns the exit status (or -1 on timeout).
    int wait_exit(std::chrono::milliseconds timeout);
    void kill_hard();
    pid_t pid() const { return pid_; }
    std::string stderr_text() const;
    // Every line the server wrote on stdout, in order.
    std::vector<std::string> stdout_lines();

private:
    void reader();
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string stderrPath_;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<json> messages_;
    std::vector<std::string> lines_;
    bool eof_ = false;
    std::int64_t nextId_ = 1;
    bool reaped_ = false;
};

}  // namespace cj::testing

// Benchmark client for the claude-jobs server: spawns the binary over pipes and speaks
// JSON-RPC to it synchronously (write a request, read lines until its response), so each
// timing covers exactly one round trip with no helper thread between the pipe and the clock.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cj::bench {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Nanoseconds since the epoch (CLOCK_REALTIME), comparable with file mtimes.
std::int64_t wall_ns();

// One response as it arrived.
struct Reply {
    json message;
    std::size_t bytes = 0;            // length of the response line
    Clock::time_point sent;           // just before the request was written
    Clock::time_point received;       // when its last byte was read
    std::int64_t receivedWallNs = 0;  // the same moment on the wall clock
};

class McpClient {
  public:
    // Writes <stateDir>/config.json from `config` and starts <binDir>/claude-jobs on it.
    McpClient(const std::string& binDir, const std::string& stateDir, const json& config);
    ~McpClient();
    McpClient(const McpClient&) = delete;
    McpClient& operator=(const McpClient&) = delete;

    // When the server process was forked.
    Clock::time_point spawned_at() const { return spawnedAt_; }
    pid_t pid() const { return pid_; }

    // Sends a request and reads until its response; throws on timeout or EOF.
    Reply request(const std::string& method, const json& params,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // The protocol version every client asks for: 2025-06-18 (structuredContent) unless the
    // bench was told otherwise (--protocol).
    static inline std::string protocolVersion = "2025-06-18";
    // initialize + notifications/initialized, asking for this version.
    Reply initialize(const std::string& version = protocolVersion);
    // tools/call; throws when the call is not a successful tool result.
    Reply call(const std::string& tool, const json& args,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

    // Reads until a notification with this method arrives (other lines are skipped); throws on
    // timeout or EOF. The reply's message is the notification.
    Reply notification(const std::string& method, std::chrono::milliseconds timeout);

    // Closes stdin and waits for the server to exit (SIGKILL after the grace period).
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  private:
    void send_line(const std::string& line);
    // Next complete line from stdout, or false on EOF / timeout.
    bool read_line(std::string& line, Clock::time_point deadline);

    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buffer_;
    std::int64_t nextId_ = 1;
    Clock::time_point spawnedAt_;
    std::string stderrPath_;
};

}  // namespace cj::bench

// The MCP server over stdio (SPEC §5): JSON-RPC 2.0 framing, the initialize gate and version
// negotiation, the 2026-07-28 era (server/discover, per-request _meta, the tasks extension),
// ping, tools/list and tools/call, resources/* (jobs as resources), tasks/* (the 2025-11-25
// tasks utility), notifications/cancelled, concurrent requests,
// and a prompt, clean stop at stdin EOF. It knows tools, not jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/tools/resource.h"
#include "core/tools/task.h"
#include "core/tools/tool.h"

namespace cj::protocol {

struct ServerOptions {
    std::string name = "claude-jobs";
    std::string version;
    std::string instructions;              // initialize result "instructions"; "" = omitted
    std::int64_t maxMessageBytes = 8 << 20;  // longer lines are refused, and skipped whole
    int maxConcurrentRequests = 64;        // beyond it, requests get an error, not a hang
    // initialize's capabilities.experimental, e.g. {"claude/channel": {}}; null = omitted.
    nlohmann::json experimental;
    // Whether server/discover is answered (docs/protocol.md, "The 2026-07-28 era"). Off, it
    // is -32601, and clients that probe with it (Claude Code) fall back to initialize;
    // requests with the era's _meta are served either way.
    bool discover = true;
};

// Thread-safety: serve() is called once, from one thread; it runs each request that may block
// (tools/call) on a worker thread, answers the instant ones (initialize, ping, tools/list) on
// the reading thread, and serializes everything written to outFd.
class McpServer {
public:
    // resources: what resources/* serve (none when its read is empty); tasks: what the
    // 2025-11-25 tasks utility serves (none when its get is empty).
    McpServer(std::vector<tools::Tool> tools, ServerOptions options,
              tools::Resources resources = {}, tools::Tasks tasks = {});

    // Reads requests from inFd until EOF, answers on outFd. At EOF it cancels every request
    // in flight (their CancelTokens fire), writes their answers, and returns 0.
    int serve(int inFd, int outFd);

    // Sends a notification the server starts itself (a job ended), from any thread. false
    // when it cannot be sent: before initialize, or once the session has ended.
    bool notify(const std::string& method, const nlohmann::json& params);
    // A resource changed (a job's state): the client is told when it subscribed to the URI.
    // From any thread; nothing happens outside serve().
    void resource_updated(const std::string& uri);

private:
    std::vector<tools::Tool> tools_;
    ServerOptions options_;
    tools::Resources resources_;
    tools::Tasks tasks_;
    std::mutex senderMutex_;
    std::function<bool(const std::string&, const nlohmann::json&)> sender_;  // while serving
    std::function<void(const std::string&)> updated_;                         // while serving
};

// The protocol versions this server speaks, newest first.
const std::vector<std::string>& supported_protocol_versions();

}  // namespace cj::protocol

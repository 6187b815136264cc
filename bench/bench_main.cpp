// claude-jobs-bench: measures the built server against its performance targets (start-up,
// tool round trips, wait wake-up, listing big indexes, checking a job with a huge log, bursts
// of starts, and memory of the server and of the per-job supervisors). It drives the real
// binaries over stdio with the stand-in claude, prints a table of medians and 90th
// percentiles, and can write the same as JSON. See docs/performance.md.
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "bench/child_process.h"
#include "bench/mcp_client.h"
#include "bench/side_by_side.h"

namespace cj::bench {
namespace {

using std::chrono::milliseconds;

std::atomic<bool> gInterrupted{false};

void on_interrupt(int) {
    gInterrupted = true;
}

struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};

void check_interrupt() {
    if (gInterrupted) throw Interrupted();
}

struct Options {
    int repeat = 30;
    int rounds = 3;  // rounds of the heavy measures (50-job bursts, cold 100 MiB checks)
    int eventsMib = 100;
    bool quick = false;
    std::string jsonPath;
    std::string binDir;
    std::string only;  // comma-separated measure groups, empty = all
    bool sideBySide = false;
    std::string peerBench;  // the peer benchmark's folder ("" = looked for)
    std::string peerOnly;   // its phases ("" = all)
    std::string peerOut;    // where it writes its results
};

const char* kUsage =
    "usage: claude-jobs-bench [--repeat N] [--rounds N] [--quick] [--json FILE]\n"
    "                         [--events-mib N] [--bin-dir DIR] [--only GROUPS]\n"
    "                         [--protocol VERSION]\n"
    "  --repeat N      samples per measure (default 30; --quick: 5)\n"
    "  --rounds N      rounds of the heavy measures: 50-job bursts and cold checks of the\n"
    "                  big log (default 3; --quick: 1)\n"
    "  --quick         a fast smoke run\n"
    "  --json FILE     also write the results as JSON\n"
    "  --events-mib N  size of the big event log (default 100)\n"
    "  --bin-dir DIR   where claude-jobs, claude-jobs-runner and fake-claude are\n"
    "                  (default: this program's folder)\n"
    "  --only GROUPS   run only these groups, comma-separated: startup, tools, tasks, wait,\n"
    "                  notify, list, bigcheck, burst\n"
    "  --protocol VERSION  the MCP version the client asks for (default 2025-06-18);\n"
    "                  2025-03-26 measures the replies of a client without structuredContent\n"
    "  --side-by-side  then run the peer benchmark (shared/peer-bench/run.sh) on the same\n"
    "                  build and print every measure beside the peers' figures of that run\n"
    "  --peer-bench DIR  the peer benchmark's folder (default: $CLAUDE_JOBS_PEER_BENCH, or\n"
    "                  shared/peer-bench in a folder above this program)\n"
    "  --peer-only PHASES  the peer benchmark's phases (its --only; default: all)\n"
    "  --peer-out DIR  where it writes its results (default /tmp/peer-bench.out)\n";

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// One line of the report.
struct Row {
    std::string key;
    std::string measure;
    std::string unit;
    std::vector<double> samples;
    std::optional<double> target;  // pass when the median is at or under it
    std::string note;
    std::string error;
};

std::string format_value(double v, const std::string& unit) {
    char buf[64];
    if (unit == "bytes")
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (v < 1)
        std::snprintf(buf, sizeof buf, "%.3f", v);
    else if (v < 100)
        std::snprintf(buf, sizeof buf, "%.2f", v);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

std::string verdict(const Row& row) {
    if (!row.error.empty()) return "ERROR";
    if (row.samples.empty()) return "-";
    if (!row.target) return "info";
    return summarize(row.samples).median <= *row.target ? "pass" : "FAIL";
}

class Bench {
  public:
    explicit Bench(Options options) : options_(std::move(options)), root_("cj-bench") {
        work_ = root_.sub("work");
        declare_all();
    }

    ~Bench() { cleanup(); }

    void run() {
        auto want = [&](const std::string& group) {
            if (options_.only.empty()) return true;
            std::string list = "," + options_.only + ",";
            return list.find("," + group + ",") != std::string::npos;
        };
        if (want("startup")) guarded({"cold_start_ms", "server_rss_idle_mib"}, [&] { startup(); });
        if (want("tools"))
            guarded({"start_rtt_ms", "check_running_ms"}, [&] { tool_round_trips(); });
        if (want("tasks"))
            guarded(
                {"task_check_ms", "task_get_ms", "task_check_reply_bytes", "task_get_reply_bytes"},
                [&] { task_polls(); });
        if (want("wait"))
            guarded({"wait_wakeup_ms", "wait_wakeup_visible_ms"}, [&] { wait_wakeup(); });
        if (want("list")) {
            guarded({"jobs_1k_ms", "jobs_1k_reply_bytes"}, [&] { listing(1000, "1k"); });
            guarded({"jobs_10k_ms", "jobs_10k_reply_bytes"}, [&] { listing(10000, "10k"); });
        }
        if (want("bigcheck"))
            guarded({"check_big_cold_ms", "check_big_ms", "check_big_reply_bytes"},
                    [&] { big_check(); });
        if (want("notify"))
            guarded({"channel_end_ms", "channel_recorded_ms", "events_end_ms", "events_recorded_ms",
                     "hook_end_ms", "hook_recorded_ms"},
                    [&] { notify_latency(); });
        if (want("burst"))
            guarded({"start_50_total_ms", "server_rss_50_mib", "runner_rss_mib", "runner_pss_mib"},
                    [&] { burst(); });
    }

    void cleanup() {
        for (const auto& dir : stateDirs_) stop_job_processes(dir, 3000);
        stateDirs_.clear();
        root_.remove();
    }

    const std::vector<Row>& rows() const { return rows_; }

  private:
    // Rows are declared up front so a failed group still shows what it could not measure.
    Row& row(const std::string& key) {
        for (auto& r : rows_)
            if (r.key == key) return r;
        throw std::logic_error("no row " + key);
    }

    void declare(const std::string& key, const std::string& measure, const std::string& unit,
                 std::optional<double> target, const std::string& note = "") {
        rows_.push_back(Row{key, measure, unit, {}, target, note, {}});
    }

    void guarded(const std::vector<std::string>& keys, const std::function<void()>& body) {
        try {
            body();
        } catch (const Interrupted&) {
            throw;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "claude-jobs-bench: %s: %s\n", keys.front().c_str(), e.what());
            for (const auto& k : keys)
                if (row(k).samples.empty()) row(k).error = e.what();
        }
        for (const auto& dir : stateDirs_) stop_job_processes(dir, 3000);
    }

    void declare_all() {
        std::string mib = std::to_string(options_.eventsMib) + " MiB";
        declare("cold_start_ms", "cold start to initialize reply", "ms", 15);
        declare("start_rtt_ms", "claude_start round trip", "ms", 2);
        declare("check_running_ms", "claude_check, running job", "ms", 0.3);
        declare("task_check_ms", "claude_check, running job started as a task", "ms", 0.3,
                "taken in turn with tasks/get on the same job");
        declare("task_get_ms", "tasks/get, the same running job", "ms", 0.3,
                "2025-11-25 tasks utility");
        declare("task_check_reply_bytes", "claude_check reply size, that job", "bytes",
                std::nullopt);
        declare("task_get_reply_bytes", "tasks/get reply size, that job", "bytes", std::nullopt);
        declare("wait_wakeup_ms", "claude_wait wake-up after job end", "ms", 20,
                "from exit.json mtime to the reply");
        declare("wait_wakeup_visible_ms", "  of which after exit.json became visible", "ms",
                std::nullopt, "from the rename of exit.json (job folder mtime) to the reply");
        declare("channel_end_ms", "job end → channel notification", "ms", 50,
                "from exit.json mtime to the notification read by the client");
        declare("channel_recorded_ms", "  of which after the end was recorded", "ms", std::nullopt,
                "from the recorded end (meta ended_at) to the notification read");
        declare("events_end_ms", "job end → events --follow line", "ms", 50,
                "from exit.json mtime to the line read");
        declare("events_recorded_ms", "  of which after the end was recorded", "ms", std::nullopt,
                "from the transition's time to the line read");
        declare("hook_end_ms", "job end → hook-wait exit", "ms", 50,
                "from exit.json mtime to the exit noticed");
        declare("hook_recorded_ms", "  of which after the end was recorded", "ms", std::nullopt,
                "from the recorded end (endedAt) to the exit");
        declare("jobs_1k_ms", "claude_jobs, 1,000 jobs in index", "ms", 30);
        declare("jobs_1k_reply_bytes", "claude_jobs reply size, 1,000 jobs", "bytes", std::nullopt);
        declare("jobs_10k_ms", "claude_jobs, 10,000 jobs in index", "ms", 30);
        declare("jobs_10k_reply_bytes", "claude_jobs reply size, 10,000 jobs", "bytes",
                std::nullopt);
        declare("check_big_cold_ms", "claude_check, " + mib + " log, first after restart", "ms",
                std::nullopt, "one per server start");
        declare("check_big_ms", "claude_check, " + mib + " log, repeated", "ms", 1);
        declare("check_big_reply_bytes", "claude_check reply size, " + mib + " log", "bytes",
                64 * 1024, "bounded: target is 64 KiB");
        declare("start_50_total_ms", "50 claude_start back to back, total", "ms", 150);
        declare("server_rss_idle_mib", "server RSS idle after initialize", "MiB", 10);
        declare("server_rss_50_mib", "server RSS with 50 running jobs", "MiB", std::nullopt);
        declare("runner_rss_mib", "supervisor RSS per job", "MiB", 3);
        declare("runner_pss_mib", "supervisor PSS per job (shared pages split)", "MiB",
                std::nullopt);
    }

    json config(const std::string& stateDir, int maxConcurrent) const {
        return {{"stateDir", stateDir},
                {"claude", {{"path", options_.binDir + "/fake-claude"}, {"permissionMode", ""}}},
                {"maxConcurrentJobs", maxConcurrent}};
    }

    std::string new_state_dir(const std::string& name) {
        std::string dir = root_.sub(name);
        stateDirs_.push_back(dir);
        return dir;
    }

    std::string start_job(McpClient& c, const std::string& prompt, Reply* reply = nullptr) {
        Reply r = c.call("claude_start", {{"prompt", prompt}, {"workFolder", work_}});
        const json& out = r.message["result"]["structuredContent"];
        if (reply) *reply = r;
        return out.at("jobId").get<std::string>();
    }

    // claude_wait until the job has ended; returns the reply that reported it.
    Reply wait_done(McpClient& c, const std::string& id, int seconds = 60) {
        auto deadline = Clock::now() + std::chrono::seconds(seconds);
        for (;;) {
            check_interrupt();
            Reply r = c.call("claude_wait", {{"jobIds", {id}}, {"timeoutSec", 20}});
            if (!r.message["result"]["structuredContent"]["done"].empty()) return r;
            if (Clock::now() >= deadline) throw std::runtime_error("job " + id + " did not end");
        }
    }

    static void wait_for_file(const std::string& path, milliseconds timeout) {
        auto deadline = Clock::now() + timeout;
        while (!file_exists(path)) {
            check_interrupt();
            if (Clock::now() >= deadline) throw std::runtime_error(path + " did not appear");
            std::this_thread::sleep_for(milliseconds(2));
        }
    }

    // 1 and 8 (idle): a fresh server process per sample on an existing state dir.
    void startup() {
        std::string state = new_state_dir("startup");
        {
            McpClient prime(options_.binDir, state, config(state, 4));  // creates the index
            prime.initialize();
        }
        for (int i = 0; i < options_.repeat + 1; ++i) {
            check_interrupt();
            McpClient c(options_.binDir, state, config(state, 4));
            Reply r = c.initialize();
            double ms = ms_between(c.spawned_at(), r.received);
            // Idle: after the first housekeeping pass (every 200 ms) has run.
            std::this_thread::sleep_for(milliseconds(250));
            auto rss = rss_kib(c.pid());
            c.stop();
            if (i == 0) continue;  // the first start also pays for cold disk caches
            row("cold_start_ms").samples.push_back(ms);
            if (rss) row("server_rss_idle_mib").samples.push_back(*rss / 1024.0);
        }
    }

    // 2 and 3.
    void tool_round_trips() {
        std::string state = new_state_dir("tools");
        McpClient c(options_.binDir, state, config(state, 8));
        c.initialize();
        constexpr int kWarmup = 2;
        for (int i = 0; i < options_.repeat + kWarmup; ++i) {
            check_interrupt();
            Reply r;
            std::string id = start_job(c, "say hi", &r);
            std::string status = r.message["result"]["structuredContent"].value("status", "");
            if (status != "running") throw std::runtime_error("a start came back " + status);
            if (i >= kWarmup) row("start_rtt_ms").samples.push_back(ms_between(r.sent, r.received));
            wait_done(c, id);  // keeps the running count at zero, so every start launches
        }

        std::string id = start_job(c, "sleep 60");
        wait_for_file(state + "/jobs/" + id + "/runner.json", std::chrono::seconds(10));
        for (int i = 0; i < options_.repeat + kWarmup; ++i) {
            check_interrupt();
            Reply r = c.call("claude_check", {{"jobId", id}});
            std::string status = r.message["result"]["structuredContent"].value("status", "");
            if (status != "running") throw std::runtime_error("the checked job is " + status);
            if (i >= kWarmup)
                row("check_running_ms").samples.push_back(ms_between(r.sent, r.received));
        }
        c.call("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
    }

    // What polling one running job costs through each face: a job started as a task
    // (2025-11-25), then claude_check and tasks/get on it in turn, so drift and load fall on both.
    void task_polls() {
        std::string state = new_state_dir("tasks");
        McpClient c(options_.binDir, state, config(state, 8));
        c.initialize("2025-11-25");
        Reply created =
            c.request("tools/call", {{"name", "claude_start"},
                                     {"arguments", {{"prompt", "sleep 60"}, {"workFolder", work_}}},
                                     {"task", json::object()}});
        std::string id = created.message["result"]["task"].value("taskId", "");
        if (id.empty())
            throw std::runtime_error("no task: " + created.message.dump().substr(0, 300));
        wait_for_file(state + "/jobs/" + id + "/runner.json", std::chrono::seconds(10));
        constexpr int kWarmup = 2;
        for (int i = 0; i < options_.repeat + kWarmup; ++i) {
            check_interrupt();
            Reply check = c.call("claude_check", {{"jobId", id}});
            Reply got = c.request("tasks/get", {{"taskId", id}});
            if (got.message["result"].value("status", "") != "working")
                throw std::runtime_error("the task is not working: " + got.message.dump());
            if (i < kWarmup) continue;
            row("task_check_ms").samples.push_back(ms_between(check.sent, check.received));
            row("task_get_ms").samples.push_back(ms_between(got.sent, got.received));
            row("task_check_reply_bytes").samples.push_back(static_cast<double>(check.bytes));
            row("task_get_reply_bytes").samples.push_back(static_cast<double>(got.bytes));
        }
        c.call("claude_cancel", {{"jobId", id}, {"graceSec", 1}});
    }

    // 4: job end (the supervisor's exit record) to the wait's reply.
    void wait_wakeup() {
        std::string state = new_state_dir("wait");
        McpClient c(options_.binDir, state, config(state, 8));
        c.initialize();
        for (int i = 0; i < options_.repeat + 1; ++i) {
            check_interrupt();
            std::string id = start_job(c, "sleep 0.3");
            Reply r = c.call("claude_wait", {{"jobIds", {id}}, {"timeoutSec", 20}});
            if (r.message["result"]["structuredContent"]["done"].empty())
                throw std::runtime_error("claude_wait timed out on a 0.3 s job");
            std::string dir = state + "/jobs/" + id;
            auto ended = mtime_ns(dir + "/exit.json");
            // The rename that makes exit.json visible is the folder's last change.
            auto visible = mtime_ns(dir);
            if (!ended || !visible) throw std::runtime_error("no exit.json for " + id);
            if (i == 0) continue;
            row("wait_wakeup_ms")
                .samples.push_back(static_cast<double>(r.receivedWallNs - *ended) / 1e6);
            row("wait_wakeup_visible_ms")
                .samples.push_back(static_cast<double>(r.receivedWallNs - *visible) / 1e6);
        }
    }

    static double ms_since(std::int64_t wallNs, std::optional<std::int64_t> fromNs) {
        if (!fromNs) throw std::runtime_error("no end time");
        return static_cast<double>(wallNs - *fromNs) / 1e6;
    }

    std::optional<std::int64_t> exit_ns(const std::string& state, const std::string& id) {
        return mtime_ns(state + "/jobs/" + id + "/exit.json");
    }

    // Job end → each wake path: the channel notification, an events --follow line, the Stop
    // hook's hook-wait exit. One server (the jobs' owner, in host session "bench"), the
    // follower and the hook beside it, as in a Claude Code session.
    void notify_latency() {
        std::string state = new_state_dir("notify");
        ::setenv("CLAUDE_CODE_SESSION_ID", "bench-session", 1);
        McpClient c(options_.binDir, state, config(state, 8));
        ::unsetenv("CLAUDE_CODE_SESSION_ID");
        c.initialize();
        std::string cli = options_.binDir + "/claude-jobs";
        std::string cfg = state + "/config.json";
        ChildProcess events({cli, "--config", cfg, "events", "--follow", "--json"}, std::nullopt);
        std::this_thread::sleep_for(milliseconds(500));
        for (int i = 0; i < options_.repeat + 1; ++i) {
            check_interrupt();
            std::string id = start_job(c, "sleep 0.3");
            Reply r = c.notification("notifications/claude/channel", std::chrono::seconds(20));
            const json& meta = r.message["params"]["meta"];
            if (meta.value("job_id", "") != id)
                throw std::runtime_error("a channel for another job");
            auto recorded = iso_ns(meta.value("ended_at", ""));
            std::int64_t lineAt = 0, lineRecorded = 0;
            while (auto line = events.line(std::chrono::seconds(20))) {
                json j = json::parse(line->first, nullptr, false);
                if (j.value("jobId", "") != id || !j.value("terminal", false)) continue;
                lineAt = line->second;
                lineRecorded = iso_ns(j.value("at", "")).value_or(0);
                break;
            }
            if (!lineAt) throw std::runtime_error("no events line for " + id);
            c.call("claude_check", {{"jobId", id}, {"tailBytes", 0}});  // read: not the hook's
            if (i == 0) continue;
            row("channel_end_ms").samples.push_back(ms_since(r.receivedWallNs, exit_ns(state, id)));
            row("channel_recorded_ms").samples.push_back(ms_since(r.receivedWallNs, recorded));
            row("events_end_ms").samples.push_back(ms_since(lineAt, exit_ns(state, id)));
            row("events_recorded_ms").samples.push_back(ms_since(lineAt, lineRecorded));
        }
        std::string input =
            json{{"session_id", "bench-session"}, {"stop_hook_active", false}}.dump();
        for (int i = 0; i < options_.repeat + 1; ++i) {
            check_interrupt();
            ChildProcess hook({cli, "--config", cfg, "hook-wait", "--max-wait", "30"}, input);
            std::this_thread::sleep_for(milliseconds(300));  // it is waiting
            std::string id = start_job(c, "sleep 0.3");
            auto exited = hook.wait(std::chrono::seconds(30));
            if (!exited || exited->first != 2) throw std::runtime_error("hook-wait did not wake");
            Reply view = c.call("claude_check", {{"jobId", id}, {"tailBytes", 0}});
            auto recorded =
                iso_ns(view.message["result"]["structuredContent"].value("endedAt", ""));
            if (i == 0) continue;
            row("hook_end_ms").samples.push_back(ms_since(exited->second, exit_ns(state, id)));
            row("hook_recorded_ms").samples.push_back(ms_since(exited->second, recorded));
        }
    }

    // "2026-12-05T05:36:19.123Z" as ns since the epoch.
    static std::optional<std::int64_t> iso_ns(const std::string& text) {
        std::tm tm{};
        int ms = 0;
        if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
            return std::nullopt;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        return (static_cast<std::int64_t>(::timegm(&tm)) * 1000 + ms) * 1'000'000;
    }

    // 5: listing with the index pre-filled with finished jobs.
    void listing(int count, const std::string& tag) {
        std::string state = new_state_dir("list-" + tag);
        {
            McpClient prime(options_.binDir, state, config(state, 4));
            prime.initialize();
        }
        fill_index(state + "/jobs.db", count);
        McpClient c(options_.binDir, state, config(state, 4));
        c.initialize();
        constexpr int kWarmup = 2;
        for (int i = 0; i < options_.repeat + kWarmup; ++i) {
            check_interrupt();
            Reply r = c.call("claude_jobs", json::object());
            const json& out = r.message["result"]["structuredContent"];
            std::int64_t total = 0;
            for (const auto& [state_name, n] : out["counts"].items())
                total += n.get<std::int64_t>();
            if (out["jobs"].size() != 50 || total != count)
                throw std::runtime_error("claude_jobs listed " +
                                         std::to_string(out["jobs"].size()) + " of " +
                                         std::to_string(total) + " jobs");
            if (i < kWarmup) continue;
            row("jobs_" + tag + "_ms").samples.push_back(ms_between(r.sent, r.received));
            row("jobs_" + tag + "_reply_bytes").samples.push_back(static_cast<double>(r.bytes));
        }
    }

    // Realistic stream-json for the big log: assistant text, tool calls, and tool results
    // (which are most of a real log's bytes), with the keys in the order the CLI writes them
    // ("type" first).
    static std::string make_events(std::size_t bytes, const std::string& sessionId) {
        using Event = nlohmann::ordered_json;
        std::mt19937_64 rng(7);
        static const std::string kWords =
            "the function returns early when the cache is empty so the caller retries with a "
            "fresh handle and we never see the stale value again after the migration ";
        auto words = [&](std::size_t n) {
            std::string s;
            while (s.size() < n) {
                std::size_t at = rng() % (kWords.size() - 40);
                s += kWords.substr(at, 20 + rng() % 20);
                if (rng() % 9 == 0) s += "\n";
            }
            return s;
        };
        auto assistant = [&](const std::string& msgId, Event content, const std::string& uuid) {
            return Event{{"type", "assistant"},
                         {"message",
                          {{"id", msgId},
                           {"type", "message"},
                           {"role", "assistant"},
                           {"model", "claude-sonnet-4-5-20250929"},
                           {"content", std::move(content)},
                           {"stop_reason", nullptr},
                           {"stop_sequence", nullptr},
                           {"usage",
                            {{"input_tokens", 4},
                             {"cache_creation_input_tokens", rng() % 3000},
                             {"cache_read_input_tokens", 20000 + rng() % 40000},
                             {"output_tokens", rng() % 900},
                             {"service_tier", "standard"}}}}},
                         {"parent_tool_use_id", nullptr},
                         {"session_id", sessionId},
                         {"uuid", uuid}};
        };
        std::string out;
        out.reserve(bytes + 64 * 1024);
        std::uint64_t n = 0;
        while (out.size() < bytes) {
            std::string msgId = "msg_01" + std::to_string(1000000000 + n);
            std::string toolId = "toolu_01" + std::to_string(1000000000 + n);
            std::string uuid = "9a3c51e2-7b0d-4f6a-8e21-" + std::to_string(100000000000 + n);
            Event text = assistant(
                msgId, Event::array({{{"type", "text"}, {"text", words(200 + rng() % 800)}}}),
                uuid + "a");
            Event input = n % 3 ? Event{{"file_path", "/home/user/src/project/src/module_" +
                                                          std::to_string(n % 50) + ".cpp"}}
                                : Event{{"command", "make -j4 test 2>&1 | tail -50"},
                                        {"description", "Run the tests"}};
            Event call = assistant(msgId,
                                   Event::array({{{"type", "tool_use"},
                                                  {"id", toolId},
                                                  {"name", n % 3 ? "Read" : "Bash"},
                                                  {"input", input}}}),
                                   uuid + "b");
            Event result = {{"type", "user"},
                            {"message",
                             {{"role", "user"},
                              {"content", Event::array({{{"tool_use_id", toolId},
                                                         {"type", "tool_result"},
                                                         {"content", words(1000 + rng() % 12000)},
                                                         {"is_error", false}}})}}},
                            {"parent_tool_use_id", nullptr},
                            {"session_id", sessionId},
                            {"uuid", uuid + "c"}};
            out += text.dump() + "\n" + call.dump() + "\n" + result.dump() + "\n";
            ++n;
        }
        return out;
    }

    // 6: a finished job whose events.jsonl is rewritten to ~eventsMib MiB, then checked by a
    // freshly started server (cold: nothing cached) and again and again (warm).
    void big_check() {
        std::string state = new_state_dir("bigcheck");
        std::string id;
        {
            McpClient c(options_.binDir, state, config(state, 4));
            c.initialize();
            id = start_job(c, "say starting the big job");
            wait_done(c, id);
        }
        std::string events = state + "/jobs/" + id + "/events.jsonl";
        std::string original = read_text(events);
        // Keep the first event (system init) first and the last (result) last.
        auto first_nl = original.find('\n');
        auto last_start = original.rfind('\n', original.size() - 2);
        if (first_nl == std::string::npos || last_start == std::string::npos)
            throw std::runtime_error("unexpected event log from the stand-in claude");
        std::string head = original.substr(0, first_nl + 1);
        std::string tail = original.substr(last_start + 1);
        std::string body = make_events(static_cast<std::size_t>(options_.eventsMib) << 20,
                                       "3f2b6c1e-8a4d-4e1b-9c7a-5d0e2f1a7b9c");
        {
            std::ofstream out(events, std::ios::binary | std::ios::trunc);
            out << head << body << tail;
            if (!out) throw std::runtime_error("cannot write " + events);
        }
        body.clear();
        body.shrink_to_fit();

        for (int round = 0; round < options_.rounds; ++round) {
            check_interrupt();
            McpClient c(options_.binDir, state, config(state, 4));
            c.initialize();
            Reply r = c.call("claude_check", {{"jobId", id}});
            row("check_big_cold_ms").samples.push_back(ms_between(r.sent, r.received));
            if (round + 1 < options_.rounds) continue;
            for (int i = 0; i < options_.repeat + 2; ++i) {
                check_interrupt();
                Reply w = c.call("claude_check", {{"jobId", id}});
                if (i < 2) continue;
                row("check_big_ms").samples.push_back(ms_between(w.sent, w.received));
                row("check_big_reply_bytes").samples.push_back(static_cast<double>(w.bytes));
            }
        }
        std::error_code ec;
        std::filesystem::remove(events, ec);  // 100 MiB need not wait for the final cleanup
    }

    // 7, 8 (50 jobs) and 9: bursts of 50 starts of long jobs.
    void burst() {
        constexpr int kJobs = 50;
        std::string state = new_state_dir("burst");
        McpClient c(options_.binDir, state, config(state, kJobs));
        c.initialize();
        wait_done(c, start_job(c, "say warm-up"));
        for (int round = 0; round < options_.rounds; ++round) {
            check_interrupt();
            std::vector<std::string> ids;
            Clock::time_point first{}, last{};
            for (int i = 0; i < kJobs; ++i) {
                Reply r;
                ids.push_back(start_job(c, "sleep 60", &r));
                std::string status = r.message["result"]["structuredContent"].value("status", "");
                if (status != "running")
                    throw std::runtime_error("start " + std::to_string(i + 1) +
                                             " of 50 came back " + status);
                if (i == 0) first = r.sent;
                last = r.received;
            }
            row("start_50_total_ms").samples.push_back(ms_between(first, last));

            for (const auto& id : ids)
                wait_for_file(state + "/jobs/" + id + "/runner.json", std::chrono::seconds(20));
            std::this_thread::sleep_for(milliseconds(300));  // let start-up allocations settle
            if (auto rss = rss_kib(c.pid()))
                row("server_rss_50_mib").samples.push_back(*rss / 1024.0);
            for (const auto& id : ids) {
                std::string text = read_text(state + "/jobs/" + id + "/runner.json");
                auto pid = json_int_field(text, "runnerPid");
                if (!pid) continue;
                if (auto rss = rss_kib(static_cast<pid_t>(*pid)))
                    row("runner_rss_mib").samples.push_back(*rss / 1024.0);
                if (auto pss = pss_kib(static_cast<pid_t>(*pid)))
                    row("runner_pss_mib").samples.push_back(*pss / 1024.0);
            }

            stop_job_processes(state, 5000);
            // Settle the rows, so the next round starts with no running jobs.
            Reply w = c.call("claude_wait", {{"jobIds", ids}, {"mode", "all"}, {"timeoutSec", 30}});
            if (w.message["result"]["structuredContent"].value("timedOut", false))
                throw std::runtime_error("the burst's jobs did not end after being stopped");
        }
    }

    Options options_;
    TempDir root_;
    std::string work_;
    std::vector<std::string> stateDirs_;
    std::vector<Row> rows_;
};

std::string machine_description() {
    std::string os = "unknown OS";
    std::ifstream release("/etc/os-release");
    std::string line;
    while (std::getline(release, line))
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            os = line.substr(12);
            os.erase(std::remove(os.begin(), os.end(), '"'), os.end());
        }
    std::string cpu;
    std::ifstream info("/proc/cpuinfo");
    while (std::getline(info, line))
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    utsname u{};
    ::uname(&u);
    return os + ", kernel " + u.release + ", " +
           std::to_string(std::thread::hardware_concurrency()) + " cores" +
           (cpu.empty() ? "" : " (" + cpu + ")");
}

void print_table(const std::vector<Row>& rows) {
    std::printf("%-46s %10s %10s %4s %10s  %s\n", "measure", "median", "p90", "n", "target",
                "result");
    for (const auto& r : rows) {
        if (r.samples.empty() && r.error.empty()) continue;  // not run (--only)
        Summary s = summarize(r.samples);
        std::string unit = r.unit == "bytes" ? " B" : " " + r.unit;
        std::string median = r.samples.empty() ? "-" : format_value(s.median, r.unit) + unit;
        std::string p90 = r.samples.empty() ? "-" : format_value(s.p90, r.unit) + unit;
        std::string target = r.target ? "<= " + format_value(*r.target, r.unit) : "-";
        std::printf("%-46s %10s %10s %4zu %10s  %s\n", r.measure.c_str(), median.c_str(),
                    p90.c_str(), s.n, target.c_str(), verdict(r).c_str());
    }
    for (const auto& r : rows)
        if (!r.error.empty()) std::printf("  %s: %s\n", r.key.c_str(), r.error.c_str());
}

json rows_json(const std::vector<Row>& rows) {
    json out = json::array();
    for (const auto& r : rows) {
        Summary s = summarize(r.samples);
        json item = {{"key", r.key},
                     {"measure", r.measure},
                     {"unit", r.unit},
                     {"n", s.n},
                     {"result", verdict(r)}};
        if (!r.samples.empty()) {
            item["median"] = s.median;
            item["p90"] = s.p90;
            item["min"] = s.min;
            item["max"] = s.max;
        }
        item["target"] = r.target ? json(*r.target) : json();
        if (!r.note.empty()) item["note"] = r.note;
        if (!r.error.empty()) item["error"] = r.error;
        out.push_back(std::move(item));
    }
    return out;
}

// The 1-minute load average: the machine may be shared, and a busy one inflates every number.
double load_average() {
    double one = -1;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &one) != 1) one = -1;
        std::fclose(f);
    }
    return one;
}

std::string own_folder() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

int parse_positive(const char* flag, const char* value) {
    char* end = nullptr;
    long n = value ? std::strtol(value, &end, 10) : 0;
    if (!value || *end != '\0' || n < 1 || n > 100000) {
        std::fprintf(stderr, "claude-jobs-bench: %s needs a positive number\n%s", flag, kUsage);
        std::exit(2);
    }
    return static_cast<int>(n);
}

Options parse_options(int argc, char** argv) {
    Options o;
    std::optional<int> repeat, rounds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--repeat") {
            repeat = parse_positive("--repeat", next);
            ++i;
        } else if (a == "--rounds") {
            rounds = parse_positive("--rounds", next);
            ++i;
        } else if (a == "--events-mib") {
            o.eventsMib = parse_positive("--events-mib", next);
            ++i;
        } else if (a == "--quick") {
            o.quick = true;
        } else if ((a == "--json" || a == "--bin-dir" || a == "--only") && next) {
            (a == "--json" ? o.jsonPath : a == "--bin-dir" ? o.binDir : o.only) = next;
            ++i;
        } else if (a == "--protocol" && next) {
            McpClient::protocolVersion = next;
            ++i;
        } else if (a == "--side-by-side") {
            o.sideBySide = true;
        } else if ((a == "--peer-bench" || a == "--peer-only" || a == "--peer-out") && next) {
            (a == "--peer-bench"  ? o.peerBench
             : a == "--peer-only" ? o.peerOnly
                                  : o.peerOut) = next;
            ++i;
        } else if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else {
            std::fprintf(stderr, "claude-jobs-bench: unknown argument %s\n%s", a.c_str(), kUsage);
            std::exit(2);
        }
    }
    o.repeat = repeat.value_or(o.quick ? 5 : 30);
    o.rounds = rounds.value_or(o.quick ? 1 : 3);
    if (o.binDir.empty()) o.binDir = own_folder();
    return o;
}

int run(int argc, char** argv) {
    Options options = parse_options(argc, argv);
    for (const char* name : {"claude-jobs", "claude-jobs-runner", "fake-claude"}) {
        std::string path = options.binDir + "/" + name;
        if (::access(path.c_str(), X_OK) != 0) {
            std::fprintf(stderr, "claude-jobs-bench: %s is missing (build it, or pass --bin-dir)\n",
                         path.c_str());
            return 2;
        }
    }
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    std::string machine = machine_description();
    double loadBefore = load_average();
    std::printf(
        "claude-jobs-bench: %s\nbinaries: %s\nrepeat %d, rounds %d, big log %d MiB, "
        "load average %.2f\n\n",
        machine.c_str(), options.binDir.c_str(), options.repeat, options.rounds, options.eventsMib,
        loadBefore);
    std::fflush(stdout);

    std::vector<Row> rows;
    int status = 0;
    {
        Bench bench(options);
        try {
            bench.run();
        } catch (const Interrupted&) {
            std::fprintf(stderr, "claude-jobs-bench: interrupted; cleaning up\n");
            status = 130;
        }
        rows = bench.rows();
        bench.cleanup();
    }
    double loadAfter = load_average();
    print_table(rows);
    std::printf("\nload average at the end: %.2f (medians are judged against the targets)\n",
                loadAfter);
    if (!options.jsonPath.empty()) {
        json doc = {{"machine", machine},
                    {"binDir", options.binDir},
                    {"repeat", options.repeat},
                    {"rounds", options.rounds},
                    {"eventsMib", options.eventsMib},
                    {"loadAverage", {{"before", loadBefore}, {"after", loadAfter}}},
                    {"results", rows_json(rows)}};
        std::ofstream out(options.jsonPath, std::ios::trunc);
        out << doc.dump(2) << "\n";
        if (!out) {
            std::fprintf(stderr, "claude-jobs-bench: cannot write %s\n", options.jsonPath.c_str());
            return 1;
        }
    }
    for (const auto& r : rows)
        if (!r.error.empty() && status == 0) status = 1;
    if (options.sideBySide && status != 130) {
        PeerOptions peer;
        peer.runScript = find_peer_bench(options.peerBench, own_folder());
        if (peer.runScript.empty()) {
            std::fprintf(stderr, "claude-jobs-bench: no peer benchmark found (--peer-bench DIR)\n");
            return status ? status : 1;
        }
        peer.buildDir = std::filesystem::path(options.binDir).parent_path().string();
        peer.outDir = options.peerOut.empty() ? "/tmp/peer-bench.out" : options.peerOut;
        peer.phases = options.peerOnly;
        peer.rounds = options.quick ? 1 : 2;
        peer.quick = options.quick;
        std::map<std::string, double> own;
        for (const auto& r : rows)
            if (!r.samples.empty()) own[r.key] = summarize(r.samples).median;
        int rc = run_side_by_side(peer, own);
        std::printf("load average at the end of the side-by-side run: %.2f\n", load_average());
        if (rc != 0 && status == 0) status = 1;
    }
    return status;
}

}  // namespace
}  // namespace cj::bench

int main(int argc, char** argv) {
    try {
        return cj::bench::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "claude-jobs-bench: %s\n", e.what());
        return 1;
    }
}

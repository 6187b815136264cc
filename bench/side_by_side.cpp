#include "bench/side_by_side.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace cj::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSubject = "claude-jobs";

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One measure as both benchmarks take it: this benchmark's key (or "") and how to read the
// peer benchmark's result file.
struct Measure {
    std::string title;
    std::string ownKey;
    std::function<std::optional<double>(const json&)> peer;
};

std::optional<double> at(const json& j, std::initializer_list<const char*> path) {
    const json* p = &j;
    for (const char* k : path) {
        if (!p->is_object() || !p->contains(k)) return std::nullopt;
        p = &(*p)[k];
    }
    if (!p->is_number()) return std::nullopt;
    return p->get<double>();
}

std::vector<Measure> measures() {
    auto median_of = [](const char* key) {
        return [key](const json& r) { return at(r, {"results", key, "median"}); };
    };
    return {
        {"cold start → initialize reply (ms)", "cold_start_ms", median_of("a_cold_start_initialize")},
        {"claude_start (ms)", "start_rtt_ms", median_of("c_start_job")},
        {"claude_check, running job (ms)", "check_running_ms", median_of("d_check_running")},
        {"claude_jobs, 1,000 jobs (ms)", "jobs_1k_ms", median_of("f_list_N1000")},
        {"claude_jobs reply, 1,000 jobs (bytes)", "",
         [](const json& r) { return at(r, {"results", "f_detail", "N1000", "response_bytes"}); }},
        {"check, 100 MiB log, finished (ms)", "check_big_ms", median_of("g_check_bigdone_tail4k")},
        {"50 starts back to back (ms)", "start_50_total_ms",
         [](const json& r) { return at(r, {"results", "h_i", "sequential", "total_ms"}); }},
        {"50 starts pipelined (ms)", "",
         [](const json& r) { return at(r, {"results", "h_i", "pipelined", "total_ms"}); }},
        {"idle RSS (MiB)", "server_rss_idle_mib",
         [](const json& r) -> std::optional<double> {
             auto kb = at(r, {"results", "h_i", "idle", "rss_kb"});
             if (!kb) return std::nullopt;
             return *kb / 1024;
         }},
    };
}

std::string number(std::optional<double> v) {
    if (!v) return "n/a";
    char buf[32];
    if (*v >= 1000)
        std::snprintf(buf, sizeof buf, "%.0f", *v);
    else if (*v >= 10)
        std::snprintf(buf, sizeof buf, "%.1f", *v);
    else
        std::snprintf(buf, sizeof buf, "%.3g", *v);
    return buf;
}

}  // namespace

std::string find_peer_bench(const std::string& given, const std::string& from) {
    auto script = [](const fs::path& dir) {
        std::error_code ec;
        fs::path s = dir / "run.sh";
        return fs::exists(s, ec) ? s.string() : std::string();
    };
    if (!given.empty()) return script(given);
    if (const char* env = std::getenv("CLAUDE_JOBS_PEER_BENCH"); env && *env) return script(env);
    std::error_code ec;
    for (fs::path p = fs::absolute(from, ec); !p.empty(); p = p.parent_path()) {
        if (auto s = script(p / "shared" / "peer-bench"); !s.empty()) return s;
        if (p == p.root_path()) break;
    }
    return {};
}

int run_side_by_side(const PeerOptions& o, const std::map<std::string, double>& own) {
    std::vector<std::string> args = {"/bin/bash", o.runScript, o.buildDir, o.outDir};
    if (!o.phases.empty()) args.insert(args.end(), {"--only", o.phases});
    args.insert(args.end(), {"--rounds", std::to_string(o.rounds)});
    if (o.quick) args.push_back("--quick");
    std::error_code ec;
    fs::create_directories(o.outDir, ec);
    for (const auto& entry : fs::directory_iterator(o.outDir, ec))  // no older run's files
        if (entry.path().extension() == ".json") fs::remove(entry.path(), ec);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fprintf(stderr, "side by side: %s\n", o.runScript.c_str());
    pid_t pid = -1;
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        std::fprintf(stderr, "claude-jobs-bench: cannot run %s\n", o.runScript.c_str());
        return 1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 1;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;

    // Each server's runs, by label.
    std::map<std::string, std::vector<json>> runs;
    for (const auto& entry : fs::directory_iterator(o.outDir, ec)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        json doc = json::parse(in, nullptr, false);
        if (doc.is_object() && doc.contains("label")) runs[doc["label"].get<std::string>()].push_back(doc);
    }
    std::vector<std::string> peers;
    for (const auto& [label, docs] : runs)
        if (label != kSubject) peers.push_back(label);
    std::printf("\nside by side (the peer benchmark's run just now; this benchmark's own figure "
                "beside it)\n\n");
    std::printf("| measure | this benchmark | %s |", kSubject);
    for (const auto& p : peers) std::printf(" %s |", p.c_str());
    std::printf(" ratio vs best peer |\n|---|---|---|");
    for (std::size_t i = 0; i < peers.size(); ++i) std::printf("---|");
    std::printf("---|\n");
    auto value = [&](const std::string& label, const Measure& m) -> std::optional<double> {
        std::vector<double> v;
        for (const auto& doc : runs[label])
            if (auto x = m.peer(doc)) v.push_back(*x);
        if (v.empty()) return std::nullopt;
        return median(v);
    };
    for (const auto& m : measures()) {
        std::optional<double> mine;
        if (auto it = own.find(m.ownKey); !m.ownKey.empty() && it != own.end()) mine = it->second;
        auto subject = value(kSubject, m);
        std::printf("| %s | %s | %s |", m.title.c_str(), number(mine).c_str(), number(subject).c_str());
        std::optional<double> best;
        std::string bestLabel;
        for (const auto& p : peers) {
            auto v = value(p, m);
            std::printf(" %s |", number(v).c_str());
            if (v && (!best || *v < *best)) best = v, bestLabel = p;
        }
        if (subject && best && *best > 0)
            std::printf(" %.2f× (vs %s) |\n", *subject / *best, bestLabel.c_str());
        else
            std::printf(" n/a |\n");
    }
    std::printf("\nthe peer benchmark's own table: %s/summary.md\n", o.outDir.c_str());
    return rc;
}

}  // namespace cj::bench

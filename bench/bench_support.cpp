// Support code for the benchmark (see bench_support.h).
#include "bench/bench_support.h"

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cj::bench {

Summary summarize(std::vector<double> samples) {
    Summary s;
    s.n = samples.size();
    if (samples.empty()) return s;
    std::sort(samples.begin(), samples.end());
    std::size_t n = samples.size();
    s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
    s.p90 = samples[std::max<std::size_t>(rank, 1) - 1];
    s.min = samples.front();
    s.max = samples.back();
    return s;
}

TempDir::TempDir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
}

TempDir::~TempDir() { remove(); }

std::string TempDir::sub(const std::string& name) const {
    std::string dir = path_ + "/" + name;
    std::filesystem::create_directories(dir);
    return dir;
}

void TempDir::remove() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    path_.clear();
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::int64_t> mtime_ns(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

namespace {

std::optional<std::int64_t> kib_field(const std::string& path, const std::string& field) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) != 0) continue;
        return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
    return std::nullopt;
}

std::string proc_comm(pid_t pid) {
    std::string comm = read_text("/proc/" + std::to_string(pid) + "/comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
}

// The kernel keeps the first 15 bytes of a program's file name as its comm.
bool runs_program(pid_t pid, const std::string& program) {
    if (pid <= 0) return false;
    std::string base = std::filesystem::path(program).filename().string();
    return !base.empty() && proc_comm(pid) == base.substr(0, 15);
}

}  // namespace

std::optional<std::int64_t> rss_kib(pid_t pid) {
    return kib_field("/proc/" + std::to_string(pid) + "/status", "VmRSS");
}

std::optional<std::int64_t> pss_kib(pid_t pid) {
    return kib_field("/proc/" + std::to_string(pid) + "/smaps_rollup", "Pss");
}

bool process_alive(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

std::optional<std::int64_t> json_int_field(const std::string& text, const std::string& key) {
    std::string quoted = "\"" + key + "\"";
    auto at = text.find(quoted);
    if (at == std::string::npos) return std::nullopt;
    at = text.find(':', at + quoted.size());
    if (at == std::string::npos) return std::nullopt;
    const char* p = text.c_str() + at + 1;
    while (*p == ' ') ++p;
    char* end = nullptr;
    long long value = std::strtoll(p, &end, 10);
    if (end == p) return std::nullopt;
    return value;
}

int stop_job_processes(const std::string& stateDir, int graceMs) {
    struct Running {
        pid_t runner;
        pid_t child;
        std::string program;
    };
    std::vector<Running> running;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(stateDir + "/jobs", ec)) {
        std::string dir = entry.path().string();
        if (file_exists(dir + "/exit.json")) continue;
        std::string text = read_text(dir + "/runner.json");
        auto runner = json_int_field(text, "runnerPid");
        auto child = json_int_field(text, "childPid");
        std::string program;
        if (auto at = text.find("\"program\""); at != std::string::npos) {
            auto open = text.find('"', text.find(':', at) + 1);
            auto close = open == std::string::npos ? open : text.find('"', open + 1);
            if (close != std::string::npos) program = text.substr(open + 1, close - open - 1);
        }
        if (!runner) continue;
        Running r{static_cast<pid_t>(*runner), child ? static_cast<pid_t>(*child) : -1, program};
        if (runs_program(r.runner, "claude-jobs-runner")) ::kill(r.runner, SIGTERM);
        running.push_back(r);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
    for (;;) {
        bool any = false;
        for (const auto& r : running)
            if (process_alive(r.runner) && runs_program(r.runner, "claude-jobs-runner")) any = true;
        if (!any || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const auto& r : running) {
        if (process_alive(r.child) && runs_program(r.child, r.program)) ::kill(-r.child, SIGKILL);
        if (process_alive(r.runner) && runs_program(r.runner, "claude-jobs-runner"))
            ::kill(r.runner, SIGKILL);
    }
    return static_cast<int>(running.size());
}

namespace {

void check_sqlite(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db));
}

std::string random_job_id(std::mt19937_64& rng) {
    static const char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford base32
    std::string id(26, '0');
    for (auto& c : id) c = kAlphabet[rng() % 32];
    return id;
}

}  // namespace

void fill_index(const std::string& dbPath, int count) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(dbPath.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw std::runtime_error("cannot open " + dbPath + ": " + message);
    }
    sqlite3_busy_timeout(db, 10000);
    check_sqlite(db, sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
    sqlite3_stmt* stmt = nullptr;
    check_sqlite(db,
                 sqlite3_prepare_v2(
                     db,
                     "INSERT INTO jobs(id, state, backend, label, prompt_preview, work_folder, "
                     "spec, created_at, claimed_at, started_at, ended_at, exit_code, reason, "
                     "result, session_id, handle) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     -1, &stmt, nullptr),
                 "prepare");
    std::mt19937_64 rng(42);
    std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    // Spread over the last day, oldest first, so seq order matches creation order and no row
    // is old enough for the retention sweep.
    std::int64_t first = now - 86'400'000;
    std::int64_t step = std::max<std::int64_t>(1, 86'000'000 / std::max(count, 1));
    static const char* kLabels[] = {"", "", "refactor", "tests", "docs"};
    for (int i = 0; i < count; ++i) {
        std::string id = random_job_id(rng);
        int kind = static_cast<int>(rng() % 20);
        std::string state = kind < 16 ? "completed" : kind < 18 ? "failed" : "cancelled";
        std::string label = kLabels[rng() % 5];
        std::string preview = "Fix the flaky integration test in module " + std::to_string(i % 97) +
                              ": make the retry loop bounded, add a regression test, and update "
                              "the changelog entry";
        std::string folder = "/home/user/src/project-" + std::to_string(i % 13);
        std::string spec = R"({"model":"","permissionMode":"bypassPermissions","timeoutSec":14400})";
        std::int64_t created = first + step * i;
        std::int64_t ended = created + 60'000 + static_cast<std::int64_t>(rng() % 600'000);
        std::string session = "3f2b6c1e-8a4d-4e1b-9c7a-" + std::to_string(100000000000 + i);
        std::string result =
            state == "completed"
                ? R"({"text":"Done: the retry loop is bounded and a regression test covers it.","sessionId":")" +
                      session +
                      R"(","isError":false,"subtype":"success","numTurns":12,"costUsd":0.4132,"durationMs":184000,"permissionDenials":[]})"
                : "";
        std::string reason = state == "completed" ? ""
                             : state == "failed"  ? "exit code 1: API Error: 529 Overloaded"
                                                  : "cancelled by request";
        int col = 1;
        auto text = [&](const std::string& v) {
            sqlite3_bind_text(stmt, col++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        };
        auto integer = [&](std::int64_t v) { sqlite3_bind_int64(stmt, col++, v); };
        text(id);
        text(state);
        text("local");
        text(label);
        text(preview);
        text(folder);
        text(spec);
        integer(created);
        integer(created);
        integer(created + 5);
        integer(ended);
        if (state == "cancelled")
            sqlite3_bind_null(stmt, col++);
        else
            integer(state == "completed" ? 0 : 1);
        text(reason);
        text(result);
        text(session);
        text(R"({"plugin":"local-detached","runnerPid":1,"runnerStartTime":1})");
        check_sqlite(db, sqlite3_step(stmt), "insert");
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    sqlite3_finalize(stmt);
    check_sqlite(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
    sqlite3_close(db);
}

}  // namespace cj::bench

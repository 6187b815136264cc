// Support code for the benchmark: sample statistics, throwaway folders, reading process
// memory from /proc, stopping the job processes a run started, and filling a job index with
// finished jobs for the listing measures.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cj::bench {

struct Summary {
    double median = 0;
    double p90 = 0;
    double min = 0;
    double max = 0;
    std::size_t n = 0;
};

// Median and 90th percentile (nearest rank) of the samples.
Summary summarize(std::vector<double> samples);

// A folder removed recursively on destruction (or on remove()).
class TempDir {
public:
    explicit TempDir(const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string sub(const std::string& name) const;  // creates <path>/<name>, returns it
    void remove();

private:
    std::string path_;
};

std::string read_text(const std::string& path);
bool file_exists(const std::string& path);
// The mtime of a file in ns since the epoch, if it exists.
std::optional<std::int64_t> mtime_ns(const std::string& path);

// VmRSS of a process in KiB (nullopt when it is gone).
std::optional<std::int64_t> rss_kib(pid_t pid);
// Pss from /proc/<pid>/smaps_rollup in KiB (nullopt when unavailable).
std::optional<std::int64_t> pss_kib(pid_t pid);
// Whether pid is alive and not a zombie.
bool process_alive(pid_t pid);

// An integer field of a flat JSON object, as written to runner.json and exit.json.
std::optional<std::int64_t> json_int_field(const std::string& text, const std::string& key);

// Ends every job process still running under <stateDir>/jobs: SIGTERM to each supervisor
// (which ends its job's process group and records the exit), SIGKILL to whatever is left
// after `graceMs`. Processes are matched by pid and by program name, so a reused pid is never
// signalled. Returns how many supervisors were signalled.
int stop_job_processes(const std::string& stateDir, int graceMs = 3000);

// Inserts `count` finished jobs into the job index at dbPath (which the server has created),
// in one transaction, shaped like real rows: prompt previews, work folders, results.
void fill_index(const std::string& dbPath, int count);

}  // namespace cj::bench

// Small file and terminal helpers of the pane program: writing to the pane, following a
// growing log line by line, and appending a record to the job's interactive state file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cj::tmux {

// Writes text to the pane (stdout), all of it unless the terminal is gone.
void say(const std::string& text);

bool file_exists(const std::string& path);

// What was added to a file since `offset` (at most 1 MiB), advancing offset; "" when nothing.
std::string read_from(const std::string& path, std::uint64_t& offset);

// A whole small file; "" when missing.
std::string read_all(const std::string& path);

// Complete lines out of a growing file, the unfinished rest kept for the next call. A line
// longer than 16 MiB is replaced by a note.
class LineFollower {
  public:
    explicit LineFollower(std::string path) : path_(std::move(path)) {}
    std::vector<std::string> next();

  private:
    std::string path_;
    std::uint64_t offset_ = 0;
    std::string pending_;
    bool skipping_ = false;
};

// One line appended to <jobDir>/interactive.jsonl (one write, O_APPEND).
void append_state(const std::string& jobDir, const std::string& line);

long long wall_ms();

}  // namespace cj::tmux

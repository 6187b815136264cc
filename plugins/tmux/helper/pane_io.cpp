// Small file and terminal helpers of the pane program (see pane_io.h).
#include "pane_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "claude_jobs/job_folder.h"

namespace cj::tmux {

namespace {

constexpr std::size_t kReadChunk = 1 << 20;
// A single event line longer than this is not shown in the pane (claude_check still has it).
constexpr std::size_t kMaxPendingLine = 16 << 20;

}  // namespace

void say(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(1, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

std::string read_from(const std::string& path, std::uint64_t& offset) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "";
    std::string text(kReadChunk, '\0');
    ssize_t n;
    do {
        n = ::pread(fd, text.data(), text.size(), static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) return "";
    text.resize(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
    return text;
}

std::string read_all(const std::string& path) {
    std::uint64_t offset = 0;
    std::string text;
    for (;;) {
        std::string chunk = read_from(path, offset);
        if (chunk.empty()) break;
        text += chunk;
    }
    return text;
}

std::vector<std::string> LineFollower::next() {
    pending_ += read_from(path_, offset_);
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (;;) {
        auto nl = pending_.find('\n', start);
        if (nl == std::string::npos) break;
        lines.push_back(pending_.substr(start, nl - start));
        start = nl + 1;
    }
    pending_.erase(0, start);
    if (skipping_ && !lines.empty()) {  // the rest of an over-long line
        lines.erase(lines.begin());
        skipping_ = false;
    }
    if (pending_.size() > kMaxPendingLine) {
        pending_.clear();
        skipping_ = true;
        lines.push_back("[an event too long to show]");
    }
    return lines;
}

void append_state(const std::string& jobDir, const std::string& line) {
    claude_jobs::job_folder::append_line(jobDir, claude_jobs::job_folder::kInteractiveFile, line);
}

long long wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace cj::tmux

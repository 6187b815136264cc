// Chunked line splitting with a hard bound on what one line may make us hold in memory.
#include "core/protocol/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace cj::protocol {

LineReader::LineReader(int fd, std::size_t maxLineBytes, std::size_t chunkBytes)
    : fd_(fd), maxLineBytes_(maxLineBytes), chunk_(chunkBytes == 0 ? 1 : chunkBytes, '\0') {}

bool LineReader::fill() {
    if (eof_) return false;
    for (;;) {
        ssize_t n = ::read(fd_, chunk_.data(), chunk_.size());
        if (n > 0) {
            pos_ = 0;
            end_ = static_cast<std::size_t>(n);
            return true;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;  // a signal handler ran; the read did not fail
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // A non-blocking stdin (inherited that way) still reads as a blocking stream.
            pollfd p{fd_, POLLIN, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        spdlog::error("reading the input failed: {}; treating it as end of input",
                      std::strerror(errno));
        break;
    }
    eof_ = true;
    return false;
}

LineReader::Item LineReader::next() {
    std::string line;
    std::uint64_t size = 0;  // the line's full length, also counting what was skipped
    // One byte of headroom so a "\r" after a line of exactly the limit still fits.
    const std::size_t keep = maxLineBytes_ + 1;
    bool skipping = false;
    bool sawAny = false;

    for (;;) {
        if (pos_ == end_ && !fill()) {
            if (!sawAny) return Item{Kind::End, {}, 0};
            break;  // a last line without "\n"
        }
        sawAny = true;
        const char* begin = chunk_.data() + pos_;
        const void* nl = std::memchr(begin, '\n', end_ - pos_);
        std::size_t take = nl ? static_cast<const char*>(nl) - begin : end_ - pos_;
        size += take;
        if (!skipping && line.size() + take > keep) {
            skipping = true;
            line.clear();
            line.shrink_to_fit();
        }
        if (!skipping) line.append(begin, take);
        pos_ += take;
        if (nl) {
            ++pos_;  // the "\n" itself
            break;
        }
    }

    if (!skipping && !line.empty() && line.back() == '\r') {
        line.pop_back();
        --size;
    }
    if (skipping || line.size() > maxLineBytes_) {
        // A skipped line's trailing "\r" is unseen; counting it is harmless in a report.
        return Item{Kind::TooLong, {}, size};
    }
    return Item{Kind::Line, std::move(line), size};
}

}  // namespace cj::protocol

// Splits a byte stream (the server's stdin) into lines, with a size limit that bounds memory:
// a line over the limit is reported by its length and skipped whole, never buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cj::protocol {

// Thread-safety: one reader thread. Exceptions: only std::bad_alloc.
class LineReader {
  public:
    enum class Kind {
        Line,     // text holds one line without its "\n" (or "\r\n")
        TooLong,  // the line had `size` bytes, more than the limit; it was skipped
        End,      // end of input (or a read error, which is logged)
    };
    struct Item {
        Kind kind = Kind::End;
        std::string text;
        std::uint64_t size = 0;
    };

    // maxLineBytes counts a line's content, line ending excluded.
    LineReader(int fd, std::size_t maxLineBytes, std::size_t chunkBytes = 64 * 1024);

    // Blocks until a whole line, an oversized line's end, or the end of input. A last line
    // without a trailing newline still counts as a line.
    Item next();

    // Whether input is already read but not yet consumed (more of a client's pipelined
    // lines): the next next() may not block.
    bool buffered() const { return pos_ < end_; }

  private:
    // Refills chunk_ from fd_; false at end of input.
    bool fill();

    int fd_;
    std::size_t maxLineBytes_;
    std::string chunk_;  // bytes read but not yet consumed: [pos_, end_)
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
    bool eof_ = false;
};

}  // namespace cj::protocol

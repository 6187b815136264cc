// The one way messages reach the client: whole lines, one writer at a time, so concurrent
// request handlers never interleave bytes on stdout.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace cj::protocol {

// Thread-safe. Exceptions: only std::bad_alloc.
class MessageWriter {
  public:
    explicit MessageWriter(int fd) : fd_(fd) {}

    // Writes the message as one line. False once the output is gone (EPIPE or another error);
    // from then on every send is dropped, since the client can no longer hear us.
    bool send(const nlohmann::json& message);

    bool broken() const { return broken_.load(); }

  private:
    bool write_all(const std::string& bytes);

    int fd_;
    std::mutex mutex_;
    std::atomic<bool> broken_{false};
};

}  // namespace cj::protocol

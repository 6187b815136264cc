// Serialized, whole-message writes to the output descriptor.
#include "core/protocol/message_writer.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/protocol/jsonrpc.h"

namespace cj::protocol {

bool MessageWriter::send(const nlohmann::json& message) {
    // Serialize outside the lock: a big tool result must not hold up a ping's answer longer
    // than the write itself.
    std::string line = serialize(message);
    std::lock_guard<std::mutex> lock(mutex_);
    if (broken_.load()) return false;
    if (write_all(line)) return true;
    broken_.store(true);
    return false;
}

bool MessageWriter::write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n >= 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;  // interrupted before writing anything; just retry
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // A non-blocking stdout (inherited that way) must still get the whole line.
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        if (errno == EPIPE) {
            spdlog::info("the client closed its end of the output; no more messages are sent");
        } else {
            spdlog::error("writing to the output failed: {}", std::strerror(errno));
        }
        return false;
    }
    return true;
}

}  // namespace cj::protocol

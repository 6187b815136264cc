#include "core/util/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

#include "claude_jobs/job_folder.h"

namespace cj::util {

namespace {
constexpr char kCrockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
}

std::string new_job_id() {
    unsigned char bytes[16];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;  // interrupted before any bytes: just ask again
            throw std::runtime_error("getrandom failed");
        }
        got += static_cast<std::size_t>(n);
    }
    // 128 bits -> 26 groups of 5 bits (the last group holds the 3 leftover bits).
    std::string id;
    id.reserve(26);
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            id.push_back(kCrockford[(buffer >> (bits - 5)) & 31u]);
            bits -= 5;
        }
    }
    if (bits > 0) id.push_back(kCrockford[(buffer << (5 - bits)) & 31u]);
    return id;
}

bool is_valid_job_id(const std::string& id) { return claude_jobs::job_folder::valid_job_id(id); }

}  // namespace cj::util

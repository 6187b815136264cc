// claude's event log, as the scanner meets it in a growing file: fed in uneven chunks, and
// rendered as transcript text line by line and in bounded spans.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/transcript/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view log(reinterpret_cast<const char*>(data), size);
    cj::transcript::EventScanner scanner;
    std::size_t at = 0, step = 1;
    while (at < log.size()) {
        const std::size_t n = std::min(step, log.size() - at);
        scanner.feed(log.substr(at, n));
        at += n;
        step = step * 3 % 97 + 1;
    }
    if (scanner.result()) (void)scanner.result()->to_json();
    (void)cj::transcript::render_lines(log, 512);
    (void)cj::transcript::render_event(log.substr(0, log.find('\n')));
    return 0;
}

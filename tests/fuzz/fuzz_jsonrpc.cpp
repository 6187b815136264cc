// The client's side of the wire: bytes split into lines (with a small line limit and read
// chunk, so oversized lines and lines across reads are exercised), each line classified, and
// every answer the server would build for it serialized.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <variant>

#include "core/protocol/jsonrpc.h"
#include "core/protocol/line_reader.h"

namespace {

using namespace cj::protocol;

void answer(const Message& message) {
    if (const auto* request = std::get_if<Request>(&message)) {
        (void)serialize(make_result(request->id, request->params));
        (void)to_string(request->id);
    } else if (const auto* invalid = std::get_if<Invalid>(&message)) {
        (void)serialize(make_error(invalid->id, invalid->error));
    } else if (const auto* notification = std::get_if<Notification>(&message)) {
        (void)serialize(make_notification(notification->method, notification->params));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fd = memfd_create("fuzz-jsonrpc", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) == static_cast<ssize_t>(size) && lseek(fd, 0, SEEK_SET) == 0) {
        LineReader reader(fd, 4096, 7);
        for (auto item = reader.next(); item.kind != LineReader::Kind::End; item = reader.next()) {
            if (item.kind == LineReader::Kind::Line) answer(parse_message(item.text));
        }
    }
    close(fd);
    return 0;
}

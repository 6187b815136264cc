// Small file-writing helpers shared by the backends.
#pragma once

#include <string>

namespace cj::plugin_common {

// Writes all of text to fd, retrying on EINTR and short writes. False on any error.
bool write_all(int fd, const std::string& text);

}  // namespace cj::plugin_common

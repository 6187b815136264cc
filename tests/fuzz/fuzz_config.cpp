// The config file: any text either parses into a Config or is refused with a message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const cj::config::Environment env{{"HOME", "/nonexistent-home"}};
    auto config = cj::config::parse(text, "fuzz.json", env);
    if (config) {
        (void)cj::config::choose_backend(*config, "", "/tmp/work");
    } else {
        (void)config.error().message;
    }
    return 0;
}

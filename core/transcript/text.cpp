#include "core/transcript/text.h"

#include <algorithm>

namespace cj::transcript {

std::string utf8_tail(const std::string& text, std::size_t maxBytes) {
    if (text.size() <= maxBytes) return text;
    std::size_t start = text.size() - maxBytes;
    while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
    return text.substr(start);
}

std::string utf8_head(const std::string& text, std::size_t maxBytes) {
    if (text.size() <= maxBytes) return text;
    std::size_t end = maxBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

std::string one_line(const std::string& text, std::size_t maxBytes) {
    std::string out;
    out.reserve(std::min(text.size(), maxBytes + 4));
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t') {
            if (!out.empty() && out.back() != ' ') out.push_back(' ');
        } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
            out.push_back(c);
        }
        if (out.size() > maxBytes + 4) break;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() > maxBytes)
        out = maxBytes < 3 ? utf8_head(out, maxBytes) : utf8_head(out, maxBytes - 3) + "...";
    return out;
}

}  // namespace cj::transcript

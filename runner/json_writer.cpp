// JSON string escaping and the flat object writer (see json_writer.h).
#include "runner/json_writer.h"

#include <cstdio>

namespace cj::runner {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not valid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char lead = byte(i);
    std::size_t len;
    unsigned char min2 = 0x80, max2 = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        len = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        len = 3;
        if (lead == 0xE0) min2 = 0xA0;
        if (lead == 0xED) max2 = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        len = 4;
        if (lead == 0xF0) min2 = 0x90;
        if (lead == 0xF4) max2 = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < min2 || byte(i + 1) > max2) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return len;
}

}  // namespace

void append_json_string(std::string& out, std::string_view value) {
    out += '"';
    for (std::size_t i = 0; i < value.size();) {
        unsigned char c = static_cast<unsigned char>(value[i]);
        if (c >= 0x80) {
            std::size_t len = utf8_sequence_length(value, i);
            if (len == 0) {
                out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(value.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

void JsonObject::add_key(std::string_view key) {
    body_ += body_.empty() ? "{" : ",";
    append_json_string(body_, key);
    body_ += ':';
}

JsonObject& JsonObject::add_int(std::string_view key, std::int64_t value) {
    add_key(key);
    body_ += std::to_string(value);
    return *this;
}

JsonObject& JsonObject::add_bool(std::string_view key, bool value) {
    add_key(key);
    body_ += value ? "true" : "false";
    return *this;
}

JsonObject& JsonObject::add_string(std::string_view key, std::string_view value) {
    add_key(key);
    append_json_string(body_, value);
    return *this;
}

JsonObject& JsonObject::add_null(std::string_view key) {
    add_key(key);
    body_ += "null";
    return *this;
}

std::string JsonObject::str() const {
    return (body_.empty() ? "{" : body_) + "}\n";
}

}  // namespace cj::runner

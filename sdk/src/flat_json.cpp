// The flat JSON reader and writer (see flat_json.h).
#include "flat_json.h"

#include <cstdio>

namespace claude_jobs::flat_json {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong
// forms, surrogates and code points past U+10FFFF are not valid).
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

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A cursor over the text. Every read checks the end first; no member recurses.
class Parser {
  public:
    explicit Parser(std::string_view text) : s_(text) {}

    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[i_]; }
    std::size_t offset() const { return i_; }

    void skip_space() {
        while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }

    bool take(char c) {
        if (peek() != c || at_end()) return false;
        ++i_;
        return true;
    }

    // A string literal, decoded into out (nullptr: checked and dropped).
    bool string(std::string* out) {
        if (!take('"')) return fail("expected a string");
        for (;;) {
            if (at_end()) return fail("unterminated string");
            auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) return fail("control character in a string");
            if (c == '\\') {
                if (!escape(out)) return false;
                continue;
            }
            std::size_t len = c < 0x80 ? 1 : utf8_sequence_length(s_, i_);
            if (len == 0) return fail("invalid UTF-8 in a string");
            if (out) out->append(s_.substr(i_, len));
            i_ += len;
        }
    }

    // A number literal per RFC 8259, kept as written.
    bool number(std::string* literal) {
        std::size_t start = i_;
        take('-');
        if (take('0')) {
            // no leading zeros
        } else if (is_digit(peek()) && !at_end()) {
            while (!at_end() && is_digit(peek())) ++i_;
        } else {
            return fail("malformed number");
        }
        if (take('.')) {
            if (at_end() || !is_digit(peek())) return fail("malformed number");
            while (!at_end() && is_digit(peek())) ++i_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++i_;
            if (peek() == '+' || peek() == '-') ++i_;
            if (at_end() || !is_digit(peek())) return fail("malformed number");
            while (!at_end() && is_digit(peek())) ++i_;
        }
        if (literal) literal->assign(s_.substr(start, i_ - start));
        return true;
    }

    bool word(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return fail("unexpected character");
        i_ += w.size();
        return true;
    }

    // A scalar value into out (nullptr: checked and dropped).
    bool scalar(Value* out) {
        char c = peek();
        if (c == '"') {
            if (out) out->kind = Kind::String;
            return string(out ? &out->text : nullptr);
        }
        if (c == 't' || c == 'f') {
            if (out) {
                out->kind = Kind::Bool;
                out->flag = c == 't';
            }
            return word(c == 't' ? "true" : "false");
        }
        if (c == 'n') {
            if (out) out->kind = Kind::Null;
            return word("null");
        }
        if (out) out->kind = Kind::Number;
        return number(out ? &out->text : nullptr);
    }

    // A member's key and its colon.
    bool key(std::string* out) {
        skip_space();
        if (!string(out)) return false;
        skip_space();
        if (!take(':')) return fail("expected ':' after a key");
        skip_space();
        return true;
    }

    // An object or array starting at the cursor, checked to the end and dropped. Iterative:
    // `open` holds the brackets still open, at most kMaxDepth of them.
    bool skip_nested() {
        char open[kMaxDepth];
        std::size_t depth = 0;
        bool wantValue = true;
        for (;;) {
            skip_space();
            if (wantValue) {
                char c = peek();
                if (c == '{' || c == '[') {
                    if (depth == kMaxDepth) return fail("nested too deeply");
                    open[depth++] = c;
                    ++i_;
                    skip_space();
                    if (take(c == '{' ? '}' : ']')) {
                        --depth;
                        wantValue = false;
                    } else if (c == '{' && !key(nullptr)) {
                        return false;
                    }
                    continue;
                }
                if (depth == 0) return fail("expected an object or array");
                if (!scalar(nullptr)) return false;
                wantValue = false;
                continue;
            }
            if (depth == 0) return true;
            if (take(',')) {
                if (open[depth - 1] == '{' && !key(nullptr)) return false;
                wantValue = true;
            } else if (take(open[depth - 1] == '{' ? '}' : ']')) {
                --depth;
            } else {
                return fail("expected ',' or a closing bracket");
            }
        }
    }

    bool fail(const char* what) {
        if (why_.empty()) why_ = std::string(what) + " at byte " + std::to_string(i_);
        return false;
    }
    const std::string& why() const { return why_; }

  private:
    bool hex4(std::uint32_t& out) {
        if (i_ + 4 > s_.size()) return fail("short \\u escape");
        out = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            out <<= 4;
            if (is_digit(c)) {
                out |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                out |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                out |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return fail("bad \\u escape");
            }
        }
        return true;
    }

    bool escape(std::string* out) {
        ++i_;  // the backslash
        if (at_end()) return fail("unterminated escape");
        char c = s_[i_++];
        char plain = 0;
        switch (c) {
            case '"':
                plain = '"';
                break;
            case '\\':
                plain = '\\';
                break;
            case '/':
                plain = '/';
                break;
            case 'b':
                plain = '\b';
                break;
            case 'f':
                plain = '\f';
                break;
            case 'n':
                plain = '\n';
                break;
            case 'r':
                plain = '\r';
                break;
            case 't':
                plain = '\t';
                break;
            case 'u':
                break;
            default:
                return fail("bad escape");
        }
        if (plain) {
            if (out) *out += plain;
            return true;
        }
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t low = 0;
            if (!take('\\') || !take('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
                return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) append_utf8(*out, cp);
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::string why_;
};

}  // namespace

std::optional<Object> Object::parse(std::string_view text, std::string& why) {
    if (text.size() > kMaxTextBytes) {
        why = "larger than " + std::to_string(kMaxTextBytes) + " bytes";
        return std::nullopt;
    }
    Parser p(text);
    Object object;
    auto failed = [&]() -> std::optional<Object> {
        why = p.why().empty() ? "not a JSON object" : p.why();
        return std::nullopt;
    };
    p.skip_space();
    if (!p.take('{')) {
        p.fail("not a JSON object");
        return failed();
    }
    p.skip_space();
    if (!p.take('}')) {
        for (;;) {
            std::string key;
            if (!p.key(&key)) return failed();
            if (object.find(key)) {
                p.fail(("duplicate key \"" + key + "\"").c_str());
                return failed();
            }
            Value value;
            if (p.peek() == '{' || p.peek() == '[') {
                if (!p.skip_nested()) return failed();
                value.kind = Kind::Nested;
            } else if (!p.scalar(&value)) {
                return failed();
            }
            object.members_.emplace_back(std::move(key), std::move(value));
            p.skip_space();
            if (p.take(',')) continue;
            if (p.take('}')) break;
            p.fail("expected ',' or '}'");
            return failed();
        }
    }
    p.skip_space();
    if (!p.at_end()) {
        p.fail("text after the object");
        return failed();
    }
    return object;
}

const Value* Object::find(std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return &value;
    return nullptr;
}

std::optional<std::int64_t> Object::integer(std::string_view key) const {
    const Value* value = find(key);
    if (!value || value->kind != Kind::Number) return std::nullopt;
    return parse_integer(value->text);
}

std::optional<std::string> Object::string(std::string_view key) const {
    const Value* value = find(key);
    if (!value || value->kind != Kind::String) return std::nullopt;
    return value->text;
}

std::optional<bool> Object::boolean(std::string_view key) const {
    const Value* value = find(key);
    if (!value || value->kind != Kind::Bool) return std::nullopt;
    return value->flag;
}

std::optional<std::int64_t> parse_integer(std::string_view literal) {
    bool negative = !literal.empty() && literal.front() == '-';
    std::string_view digits = literal.substr(negative ? 1 : 0);
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    std::uint64_t magnitude = 0;
    for (char c : digits) {
        if (!is_digit(c)) return std::nullopt;
        magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // 19 digits fit a uint64; INT64_MIN's magnitude is one more than INT64_MAX's.
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(INT64_MAX);
    if (magnitude > kMax + (negative ? 1 : 0)) return std::nullopt;
    if (negative) return magnitude == kMax + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
    return static_cast<std::int64_t>(magnitude);
}

std::optional<std::int64_t> seconds_to_ms(std::string_view literal, std::int64_t maxSeconds) {
    auto dot = literal.find('.');
    auto whole = parse_integer(literal.substr(0, dot));
    if (!whole || *whole < 0 || literal.front() == '-' || *whole > maxSeconds) return std::nullopt;
    std::int64_t ms = *whole * 1000;
    if (dot != std::string_view::npos) {
        std::string_view fraction = literal.substr(dot + 1);
        if (fraction.empty()) return std::nullopt;
        const std::int64_t scale[3] = {100, 10, 1};
        for (std::size_t k = 0; k < fraction.size(); ++k) {
            if (!is_digit(fraction[k])) return std::nullopt;
            if (k < 3) ms += (fraction[k] - '0') * scale[k];
        }
        if (fraction.size() > 3 && fraction[3] >= '5') ++ms;  // round to the nearest
    }
    if (ms > maxSeconds * 1000) return std::nullopt;
    return ms;
}

void append_string(std::string& out, std::string_view value) {
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

void Writer::add_key(std::string_view key) {
    body_ += body_.empty() ? "{" : ",";
    append_string(body_, key);
    body_ += ':';
}

Writer& Writer::add_int(std::string_view key, std::int64_t value) {
    add_key(key);
    body_ += std::to_string(value);
    return *this;
}

Writer& Writer::add_uint(std::string_view key, std::uint64_t value) {
    add_key(key);
    body_ += std::to_string(value);
    return *this;
}

Writer& Writer::add_bool(std::string_view key, bool value) {
    add_key(key);
    body_ += value ? "true" : "false";
    return *this;
}

Writer& Writer::add_string(std::string_view key, std::string_view value) {
    add_key(key);
    append_string(body_, value);
    return *this;
}

Writer& Writer::add_null(std::string_view key) {
    add_key(key);
    body_ += "null";
    return *this;
}

std::string Writer::str() const {
    return (body_.empty() ? "{" : body_) + "}";
}

}  // namespace claude_jobs::flat_json

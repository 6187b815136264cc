#include "core/cli/table.h"

#include <algorithm>

namespace cj::cli {

namespace {

// Length of the UTF-8 sequence starting with byte b, or 0 when b cannot start one.
std::size_t sequence_length(unsigned char b) {
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;
}

const char* colour_code(Tone tone) {
    switch (tone) {
        case Tone::Good:
            return "\x1b[32m";
        case Tone::Warn:
            return "\x1b[33m";
        case Tone::Bad:
            return "\x1b[31m";
        case Tone::Dim:
            return "\x1b[2m";
        case Tone::Bold:
            return "\x1b[1m";
        case Tone::Plain:
            break;
    }
    return "";
}

}  // namespace

std::string paint(const std::string& text, Tone tone, bool colour) {
    if (!colour || tone == Tone::Plain || text.empty()) return text;
    return std::string(colour_code(tone)) + text + "\x1b[0m";
}

Tone status_tone(const std::string& status) {
    if (status == "completed") return Tone::Good;
    if (status == "running") return Tone::Bold;
    if (status == "queued") return Tone::Dim;
    if (status == "cancelled" || status == "rate_limited") return Tone::Warn;
    return Tone::Bad;  // failed, timed_out, orphaned
}

namespace {
std::string clean(const std::string& text, bool keepLines);
}

std::string clean_cell(const std::string& text) {
    return clean(text, false);
}
std::string clean_text(const std::string& text) {
    return clean(text, true);
}

namespace {

std::string clean(const std::string& text, bool keepLines) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        auto b = static_cast<unsigned char>(text[i]);
        std::size_t n = sequence_length(b);
        bool whole = n > 0 && i + n <= text.size();
        for (std::size_t k = 1; whole && k < n; ++k)
            whole = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (!whole) {
            out += '?';
            ++i;
            continue;
        }
        if (n == 1) {
            bool kept = keepLines && (b == '\n' || b == '\t');
            out += ((b < 0x20 && !kept) || b == 0x7F) ? ' ' : static_cast<char>(b);
        } else if (n == 2 && b == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
            out += ' ';  // a C1 control character (U+0080..U+009F)
        } else {
            out.append(text, i, n);
        }
        i += n;
    }
    return out;
}

}  // namespace

std::size_t display_width(const std::string& text) {
    std::size_t width = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++width;
    return width;
}

std::string fit_width(const std::string& text, std::size_t width) {
    if (display_width(text) <= width) return text;
    if (width == 0) return {};
    std::size_t columns = 0, i = 0;
    while (i < text.size()) {
        std::size_t n =
            std::max<std::size_t>(1, sequence_length(static_cast<unsigned char>(text[i])));
        if (columns + 1 > width - 1) break;  // keep one column for the ellipsis
        i += n;
        ++columns;
    }
    return text.substr(0, i) + "…";
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<Cell> row) {
    row.resize(headers_.size());
    for (auto& cell : row) cell.text = clean_cell(cell.text);
    rows_.push_back(std::move(row));
}

std::string Table::render(bool colour, std::size_t maxWidth) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) {
        widths[c] = display_width(headers_[c]);
        for (const auto& row : rows_) widths[c] = std::max(widths[c], display_width(row[c].text));
    }
    auto line = [&](const std::vector<Cell>& cells, bool header) {
        std::string out;
        std::size_t used = 0;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            bool last = c + 1 == cells.size();
            std::string text = cells[c].text;
            if (last && maxWidth > 0) text = fit_width(text, maxWidth > used ? maxWidth - used : 0);
            std::size_t shown = display_width(text);
            out += paint(text, header ? Tone::Bold : cells[c].tone, colour);
            if (!last) {
                std::size_t pad = widths[c] - shown + 2;
                out.append(pad, ' ');
                used += widths[c] + 2;
            }
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::vector<Cell> header;
    for (const auto& h : headers_) header.emplace_back(h);
    std::string out = line(header, true);
    for (const auto& row : rows_) out += line(row, false);
    return out;
}

std::string short_duration(long long ms) {
    if (ms < 0) ms = 0;
    long long s = ms / 1000;
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m";
    if (s < 86400) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
}

}  // namespace cj::cli

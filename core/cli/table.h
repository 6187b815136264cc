// Plain-text tables and colour for the command line. Colour is only ever added when the
// caller says the output is a terminal; cell text is cleaned of control characters, so a
// prompt or label holding escape sequences cannot drive the user's terminal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cj::cli {

enum class Tone { Plain, Good, Warn, Bad, Dim, Bold };

// text wrapped in the ANSI colour for tone when colour is true; text unchanged otherwise.
std::string paint(const std::string& text, Tone tone, bool colour);

// The tone a job status is shown in: completed good, running/queued plain-bold, failures bad.
Tone status_tone(const std::string& status);

// Control characters (C0, DEL, C1 and ESC) become spaces; invalid UTF-8 bytes become '?'.
std::string clean_cell(const std::string& text);

// For running text (a transcript): like clean_cell, but newlines and tabs stay.
std::string clean_text(const std::string& text);

// Display width: code points, one column each (wide characters are not measured).
std::size_t display_width(const std::string& text);

// The longest prefix of text (whole code points) that fits in width columns; "…" at the end
// when it had to be cut.
std::string fit_width(const std::string& text, std::size_t width);

struct Cell {
    std::string text;
    Tone tone = Tone::Plain;
    Cell(std::string t = {}, Tone tn = Tone::Plain) : text(std::move(t)), tone(tn) {}
    Cell(const char* t, Tone tn = Tone::Plain) : text(t), tone(tn) {}
};

class Table {
  public:
    explicit Table(std::vector<std::string> headers);
    void add(std::vector<Cell> row);
    bool empty() const { return rows_.empty(); }

    // Columns are padded to their widest cell and separated by two spaces; the last column
    // is cut so each line fits maxWidth columns (0 = no limit). Headers are bold when coloured.
    std::string render(bool colour, std::size_t maxWidth = 0) const;

  private:
    std::vector<std::string> headers_;
    std::vector<std::vector<Cell>> rows_;
};

// "3s", "5m", "2h", "4d": how long ago (or how long), from milliseconds.
std::string short_duration(long long ms);

}  // namespace cj::cli

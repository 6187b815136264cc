#include "core/cli/words.h"

#include <cstring>

namespace cj::cli {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;

claude_jobs::Result<std::vector<std::string>> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::string word;
    bool inWord = false;
    auto refuse = [&](const std::string& why) {
        return make_error(ErrorCode::InvalidArgument,
                          "cannot split \"" + line + "\" into words: " + why);
    };
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\0') return refuse("it contains a NUL character");
        if (c == ' ' || c == '\t') {
            if (inWord) words.push_back(word);
            word.clear();
            inWord = false;
        } else if (c == '\'') {
            auto end = line.find('\'', i + 1);
            if (end == std::string::npos) return refuse("a single quote is not closed");
            word.append(line, i + 1, end - i - 1);
            i = end;
            inWord = true;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (;; ++j) {
                if (j >= line.size()) return refuse("a double quote is not closed");
                char d = line[j];
                if (d == '"') break;
                if (d == '\\' && j + 1 < line.size() && std::strchr("\"\\$`", line[j + 1])) {
                    word += line[++j];
                } else if (d == '$' || d == '`') {
                    return refuse("expansions ($, `) inside double quotes are not supported");
                } else {
                    word += d;
                }
            }
            i = j;
            inWord = true;
        } else if (c == '\\') {
            if (i + 1 >= line.size()) return refuse("it ends with a backslash");
            if (line[i + 1] == '\n') return refuse("it has a line continuation");
            word += line[++i];
            inWord = true;
        } else if (std::strchr(";&|<>()$`*?[]\n\r", c)) {
            return refuse(std::string("'") +
                          (c == '\n'   ? "\\n"
                           : c == '\r' ? "\\r"
                                       : std::string(1, c)) +
                          "' is shell syntax; quote it");
        } else if ((c == '#' || c == '~') && !inWord) {
            return refuse(std::string("a word starting with '") + c +
                          "' is shell syntax; quote it");
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord) words.push_back(word);
    if (words.empty()) return refuse("there are no words");
    return words;
}

}  // namespace cj::cli

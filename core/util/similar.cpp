#include "core/util/similar.h"

#include <algorithm>

namespace cj::util {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    // Optimal string alignment: Levenshtein plus a swap of two neighbours as one edit.
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::vector<std::string> similar_words(const std::string& given,
                                       const std::vector<std::string>& candidates,
                                       std::size_t most) {
    // One edit in a short word, up to three in a long one (a job id).
    std::size_t limit = std::clamp<std::size_t>(given.size() / 3, 1, 3);
    std::vector<std::pair<std::size_t, std::string>> close;
    for (const auto& c : candidates) {
        if (c == given) continue;
        std::size_t distance = edit_distance(given, c);
        if (distance <= limit) close.emplace_back(distance, c);
    }
    std::stable_sort(close.begin(), close.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (const auto& [distance, word] : close) {
        if (out.size() == most) break;
        if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
    }
    return out;
}

std::string did_you_mean(const std::string& given, const std::vector<std::string>& candidates) {
    auto close = similar_words(given, candidates);
    if (close.empty()) return "";
    std::string out = " (did you mean ";
    for (std::size_t i = 0; i < close.size(); ++i)
        out += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + ("\"" + close[i] + "\"");
    return out + "?)";
}

}  // namespace cj::util

// "Did you mean": the known words closest to one that is not known (a subcommand, an option,
// a config key, a job id), by edit distance, as git suggests commands.
#pragma once

#include <string>
#include <vector>

namespace cj::util {

// Edits (insert, delete, replace, swap of neighbours) that turn a into b.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidates within a few edits of `given` (fewer for a short word), closest first; at
// most `most` of them.
std::vector<std::string> similar_words(const std::string& given,
                                       const std::vector<std::string>& candidates,
                                       std::size_t most = 3);

// " (did you mean \"x\" or \"y\"?)", or "" when nothing is close.
std::string did_you_mean(const std::string& given, const std::vector<std::string>& candidates);

}  // namespace cj::util

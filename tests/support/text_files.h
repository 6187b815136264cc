// Reading and writing whole files, and finding text in text: what many tests need.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace cj::testing {

// The file's bytes, or "" when it cannot be read.
inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Replaces the file's content, creating its folder when missing.
inline void write_text(const std::string& path, const std::string& text) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace cj::testing

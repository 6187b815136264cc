// Small, careful file helpers for the state directory: private modes, no symlink following,
// atomic replacement, bounded reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "claude_jobs/result.h"

namespace cj::util {

// mkdir -p with mode 0700 for every folder it creates; refuses a path that is a symlink.
claude_jobs::Result<void> make_private_dirs(const std::string& path);

// Creates a new file (O_EXCL|O_NOFOLLOW, 0600) holding content, fsynced unless sync is false.
claude_jobs::Result<void> write_new_file(const std::string& path, const std::string& content,
                                         bool sync = true);

// Replaces dir/name atomically: temp file, fsync, rename, fsync of the folder. 0600. Without
// sync, a reader sees the old or the new content whole, but a power cut may leave either (or
// an empty file): for caches. Concurrent writers (threads or processes) each use a temp file
// of their own.
claude_jobs::Result<void> write_file_atomic(const std::string& dir, const std::string& name,
                                            const std::string& content, bool sync = true);

// Reads at most maxBytes from the start of a regular file, not following a final symlink.
// std::nullopt when it does not exist; an error for anything else that goes wrong.
claude_jobs::Result<std::optional<std::string>> read_file(const std::string& path,
                                                          std::size_t maxBytes);

// Reads the byte range [offset, offset+length) (clamped to the file); "" past the end.
claude_jobs::Result<std::string> read_range(const std::string& path, std::uint64_t offset,
                                            std::size_t length);

// Size of a file, or std::nullopt when it does not exist.
std::optional<std::uint64_t> file_size(const std::string& path);

// Removes a folder tree without following symlinks inside it. Missing is fine.
claude_jobs::Result<void> remove_tree(const std::string& path);

}  // namespace cj::util

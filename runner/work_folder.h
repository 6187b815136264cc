// Entering the job's work folder without following a symbolic link anywhere on its path. The
// server resolves the folder to its real path when it accepts the job and checks it against
// allowedWorkFolders again at launch; a folder (or a folder above it) swapped for a symlink
// after that check must make the job fail, not run it somewhere else. The folder is opened
// once, here, and the program enters that very folder with fchdir: nothing can be swapped
// between the check and the entry.
#pragma once

#include <string>

namespace cj::runner {

// The folder as an O_PATH descriptor (close-on-exec), opened with openat2's
// RESOLVE_NO_SYMLINKS, or by walking the path one component at a time with O_NOFOLLOW where
// openat2 is missing (Linux before 5.6). -1 with errno set on failure: ELOOP when a component
// is a symbolic link.
int open_work_folder(const std::string& path);

// The component walk alone (what open_work_folder falls back to), for its tests.
int open_work_folder_by_walk(const std::string& path);

// The launch error for a folder that could not be entered, naming a symlink plainly.
std::string work_folder_error(const std::string& path, int err);

}  // namespace cj::runner

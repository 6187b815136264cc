// Writing a word so that a POSIX shell reads it back as it is: for the commands this server
// shows people and models to run themselves (notify.command, the hook's command, git's apply
// and merge lines). Nothing here runs a shell.
#pragma once

#include <string>

namespace cj::util {

// The word as it is when it holds only characters no shell treats specially, else in single
// quotes (a quote inside written as '\'').
std::string shell_word(const std::string& word);

}  // namespace cj::util

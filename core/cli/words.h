// Splitting a command line such as a backend's attach command ("tmux -L 'my socket' attach
// -t job1") into an argument vector, the way a POSIX shell splits words — without a shell.
// Supported: blanks between words, 'single quotes' (literal), "double quotes" (with \" \\ \$
// \` escapes), and a backslash outside quotes. Anything a shell would treat as more than a
// word (unquoted ; & | < > ( ) $ ` * ? [ ], # or ~ at a word's start, NUL, newlines) is refused
// rather than guessed at, so what runs is exactly what the words say.
#pragma once

#include <string>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::cli {

claude_jobs::Result<std::vector<std::string>> split_words(const std::string& line);

}  // namespace cj::cli

// Names and command strings the tmux backend builds: session names, POSIX shell quoting (for
// the attach command a person pastes and the hook command Claude Code runs through a shell),
// and the attach command itself. Pure functions, no tmux needed.
#pragma once

#include <string>
#include <vector>

namespace cj::tmux {

// The session of a job: "cj-" + the job id with '.' written as '+' (tmux turns '.' and ':'
// in session names into '_', which could make two job ids share a name; '+' is in no job id).
std::string session_name(const std::string& jobId);

// A word as a POSIX shell reads it back unchanged: as is when it holds only characters no
// shell treats specially, else in single quotes ('\'' for a quote inside).
std::string shell_quote(const std::string& word);

// Words joined by spaces, each quoted as needed.
std::string shell_join(const std::vector<std::string>& words);

// "tmux -L <socket> attach -t <session>", quoted as needed: the exact command a person runs.
std::string attach_command(const std::string& tmuxProgram, const std::string& socket,
                           const std::string& session);

// Whether a socket name is usable: 1-64 of [A-Za-z0-9._-], not "." or "..".
bool valid_socket_name(const std::string& name);

}  // namespace cj::tmux

// The command line of claude-jobs, parsed with CLI11: with no subcommand the process is the
// stdio MCP server (main.cpp serves it); with one, it is a short-lived command for a person
// over the same job service (commands.h).
#pragma once

#include "core/cli/session.h"

namespace cj::cli {

struct Parsed {
    bool serve = false;  // no subcommand: serve MCP on stdio with `global`
    int exitCode = 0;    // otherwise the process's exit status
    GlobalOptions global;
};

Parsed run(int argc, char** argv);

}  // namespace cj::cli

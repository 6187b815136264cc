// Where MCP clients keep their server lists, and merging claude-jobs into such a file
// without losing anything else in it. Pure functions (the OS, environment and the folders
// found are passed in), so every OS's choice is testable on any machine.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/config/config.h"

namespace cj::cli {

enum class Os { Linux, MacOs, Windows };
Os current_os();

// A Claude_<publisher id> folder under %LOCALAPPDATA%\Packages (the MSIX install of Claude
// Desktop, from the Microsoft Store or the claude.ai installer), and whether it already holds
// a claude_desktop_config.json.
struct MsixPackage {
    std::string folder;  // e.g. "Claude_pzs8sxrjxfjjc"
    bool hasConfig = false;
};

// Claude Desktop's config file:
//   macOS   $HOME/Library/Application Support/Claude/claude_desktop_config.json
//   Windows
//   %LOCALAPPDATA%\Packages\Claude_<id>\LocalCache\Roaming\Claude\claude_desktop_config.json
//           when such a package exists (the MSIX app reads only that file; of several, the
//           one already holding a config, else the first by name), else
//           %APPDATA%\Claude\claude_desktop_config.json
//   Linux   $XDG_CONFIG_HOME/Claude/claude_desktop_config.json, else $HOME/.config/Claude/…
// Errors when the variables it needs are missing.
claude_jobs::Result<std::string> desktop_config_path(Os os, const config::Environment& env,
                                                     const std::vector<MsixPackage>& packages);

// Claude Code's files: user scope $CLAUDE_CONFIG_DIR/.claude.json, else $HOME/.claude.json;
// project scope <project>/.mcp.json.
claude_jobs::Result<std::string> claude_code_config_path(const std::string& scope,
                                                         const config::Environment& env,
                                                         const std::string& projectDir);

enum class Change { Added, Updated, Unchanged };
const char* change_name(Change change);

struct Merged {
    nlohmann::ordered_json config;
    Change change = Change::Unchanged;
};

// A client's config text as a JSON object ("" or blank = an empty one); InvalidArgument,
// naming the problem, when it is not JSON or not an object.
claude_jobs::Result<nlohmann::ordered_json> parse_config_object(const std::string& text);

// Puts `entry` at mcpServers.<name> of the config text (empty text = a new file), keeping
// every other key and server and their order. Errors (InvalidArgument, naming the problem)
// when the text is not a JSON object or mcpServers is not an object.
claude_jobs::Result<Merged> merge_server(const std::string& existingText, const std::string& name,
                                         const nlohmann::ordered_json& entry);

// Writes text to path: a copy of the current file first (path + ".bak-<UTC time>", same mode),
// then a temp file in the same folder, fsync, rename. A symlinked path is written through
// (its target is replaced). Returns the backup's path ("" when there was no file).
claude_jobs::Result<std::string> replace_file_with_backup(const std::string& path,
                                                          const std::string& text);

}  // namespace cj::cli

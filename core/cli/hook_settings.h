// Claude Code's Stop hook for claude-jobs (`register --client claude-code --hooks`): where
// the settings file is, and merging the hook into it without losing anything else. Pure
// functions, testable anywhere.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "claude_jobs/result.h"
#include "core/cli/client_config.h"
#include "core/config/config.h"

namespace cj::cli {

// The hook's lifetime in Claude Code (seconds) and hook-wait's own bound, a little under it.
constexpr int kHookTimeoutSec = 3600;
constexpr int kHookMaxWaitSec = 3300;

// user scope: $CLAUDE_CONFIG_DIR/settings.json, else $HOME/.claude/settings.json;
// project scope: <project>/.claude/settings.json.
claude_jobs::Result<std::string> claude_code_settings_path(const std::string& scope,
                                                           const config::Environment& env,
                                                           const std::string& projectDir);

// The hook's command line: the binary (quoted for the shell when it needs to be), the
// global options, `hook-wait --max-wait N`.
std::string hook_command(const std::string& exe, const std::vector<std::string>& globalArgs);

// Adds {"type":"command","command":..., "asyncRewake":true,"timeout":...} under hooks.Stop,
// keeping every other key and hook. A claude-jobs hook-wait hook already there (any binary)
// is updated in place; the same one again is Unchanged.
claude_jobs::Result<Merged> merge_stop_hook(const std::string& existingText,
                                            const std::string& command);

}  // namespace cj::cli

// Interactive mode's two inputs to Claude Code: its argument vector, derived from the print-mode
// one the host built, and the settings file (passed with --settings) that installs the hooks
// through which the job's state reaches its folder.
#pragma once

#include <string>
#include <vector>

namespace cj::tmux {

// The host's print-mode arguments without what only print mode takes (-p/--print,
// --output-format V, --verbose, --max-budget-usd V, --input-format V,
// --include-partial-messages), plus "--settings <settingsPath>". Everything else (model,
// permission mode, tools, resume, the config's extraArgs) is kept in order.
std::vector<std::string> interactive_args(const std::vector<std::string>& printArgs,
                                          const std::string& settingsPath);

// The hook events the job listens to.
const std::vector<std::string>& hook_events();

// The settings JSON: for each hook event, one command hook running
// `<helper> hook --job-dir <jobDir>`, every word shell-quoted (Claude Code runs hook commands
// through a shell; the job folder may hold spaces, and no client input is in it).
std::string hook_settings_json(const std::string& helperPath, const std::string& jobDir);

}  // namespace cj::tmux

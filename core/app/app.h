// The server assembled: config, state dir, job index, plugin modules, backends, job service,
// housekeeping thread and tools. Used by the MCP server, the selftest and the benchmark.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "claude_jobs/result.h"
#include "core/config/config.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/job_index.h"
#include "core/jobs/job_service.h"
#include "core/plugins/plugin_loader.h"
#include "core/tools/tool.h"

namespace cj::app {

// Where the binary and its companions are: <prefix>/bin/claude-jobs,
// <prefix>/bin/claude-jobs-runner, <prefix>/lib/claude-jobs/plugins — the same in the build
// tree and the installed tree.
struct Layout {
    std::string binDir;
    std::string runnerPath;
    std::string pluginDir;
    static Layout discover();
};

class App {
public:
    static claude_jobs::Result<std::unique_ptr<App>> create(config::Config config,
                                                            const Layout& layout);
    ~App();

    jobs::JobService& service() { return *service_; }
    jobs::JobIndex& index() { return *index_; }
    const plugins::PluginRegistry& plugins() const { return registry_; }
    std::vector<tools::Tool> tools();

    // The housekeeping thread: reconcile and launch from the queue about every 200 ms,
    // apply retention at start and hourly. watchExits: also pass as soon as a running job's
    // exit record appears (the server; a command-line follower, a backup recorder beside it,
    // does not, so that they do not all race to record the same end).
    void start_housekeeping(bool watchExits = true);
    void stop_housekeeping();

private:
    App() = default;
    std::unique_ptr<jobs::JobIndex> index_;
    plugins::PluginRegistry registry_;
    std::unique_ptr<jobs::BackendSet> backends_;
    std::unique_ptr<jobs::JobService> service_;
    std::thread housekeeper_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

// This process's CLAUDE_JOBS_DEPTH (0 when unset or unreadable).
int current_depth();

// This process as the owner of the jobs it starts: a new random instance id, and the host's
// session and project from CLAUDE_CODE_SESSION_ID and CLAUDE_PROJECT_DIR when set.
jobs::JobOwner process_owner();

}  // namespace cj::app

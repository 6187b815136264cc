// LocalBackend (see backend.h): launching detached supervisors. Following them by pid + start
// time + boot id, and stopping them through the supervisor so the whole job ends, is
// LocalRunnerBackend's.
#include "backend.h"

#include "claude_jobs/job_folder.h"
#include "claude_jobs/process_identity.h"

#ifndef LOCAL_DETACHED_VERSION
#define LOCAL_DETACHED_VERSION "0.0.0"
#endif

namespace cj::local_detached {

namespace {

using claude_jobs::Result;

// The job's environment with the instance's variables, which replace any of the same name.
std::vector<std::string> job_environment(const std::vector<std::string>& base,
                                         const Settings& settings) {
    std::vector<std::string> env;
    env.reserve(base.size() + settings.env.size());
    for (const auto& entry : base) {
        bool replaced = false;
        for (const auto& [name, value] : settings.env) {
            if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
                entry[name.size()] == '=') {
                replaced = true;
                break;
            }
        }
        if (!replaced) env.push_back(entry);
    }
    for (const auto& [name, value] : settings.env) env.push_back(name + "=" + value);
    return env;
}

}  // namespace

LocalBackend::LocalBackend()
    : LocalRunnerBackend({"local-detached", LOCAL_DETACHED_VERSION,
                          "a detached supervisor process on this machine; jobs survive server "
                          "restarts"},
                         {/*survivesServerRestart=*/true}, kStateVersion) {}

Result<RunnerState> LocalBackend::launch(const claude_jobs::JobSpec& spec, const Context& context) {
    const std::string& runner = context.host.runnerPath;
    // The runner itself is looked at by health(); a launch only needs an absolute path to it
    // (the spawn says plainly when it cannot run it).
    if (runner.empty() || runner.front() != '/') return claude_jobs::check_runner(runner).error();
    auto command = claude_jobs::job_folder::RunnerCommand::for_job(spec, runner);
    command.niceness = context.settings.niceness;
    auto launched =
        launch_detached(command.argv(), job_environment(spec.env, context.settings), reaper_);
    if (!launched) return launched.error();
    return RunnerState{{launched->pid, launched->startTime, context.bootId}, spec.jobDir};
}

}  // namespace cj::local_detached

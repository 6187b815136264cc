// Building the runtime's command lines (see run_args.h).
#include "run_args.h"

namespace cj::container {

namespace {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

bool has(const std::string& text, char c) {
    return text.find(c) != std::string::npos;
}

}  // namespace

std::string container_name(const std::string& jobId) {
    return "claude-jobs-" + jobId;
}

Result<std::vector<std::string>> mount_args(const std::string& source, const std::string& target,
                                            bool writable) {
    for (const std::string* path : {&source, &target}) {
        if (path->empty() || path->front() != '/' || has(*path, '\n') || has(*path, '\0'))
            return make_error(ErrorCode::InvalidArgument,
                              "cannot mount \"" + *path + "\": not an absolute path on one line");
    }
    // --mount is a comma-separated list (and docker reads it as CSV, quotes included);
    // --volume is colon-separated. A path holding both kinds cannot be said at all.
    auto fits_mount = [](const std::string& p) { return !has(p, ',') && !has(p, '"'); };
    if (fits_mount(source) && fits_mount(target)) {
        return std::vector<std::string>{"--mount", "type=bind,source=" + source + ",target=" +
                                                       target + (writable ? "" : ",ro")};
    }
    if (!has(source, ':') && !has(target, ':')) {
        return std::vector<std::string>{"--volume",
                                        source + ":" + target + (writable ? ":rw" : ":ro")};
    }
    return make_error(ErrorCode::InvalidArgument,
                      "cannot mount \"" + source +
                          "\" into a container: a path holding both ',' (or '\"') and ':' "
                          "cannot be expressed in the runtime's mount options; rename the folder");
}

Result<std::vector<std::string>> build_run_argv(const Settings& settings,
                                                const claude_jobs::JobSpec& spec,
                                                const RunInputs& in) {
    std::vector<std::string> argv = {
        in.runtime,     "run",
        "--detach",     "--pull=never",
        "--name",       container_name(spec.jobId),
        "--label",      std::string(kJobLabel) + "=" + spec.jobId,
        "--label",      std::string(kInstanceLabel) + "=" + in.instance,
        "--user",       in.user,
        "--env-file",   in.envFile,
        "--workdir",    spec.workFolder,
        "--entrypoint", kRunnerInContainer};
    if (in.keepUserNamespace) argv.push_back("--userns=keep-id");
    if (!settings.network.empty()) argv.insert(argv.end(), {"--network", settings.network});
    if (!settings.cpus.empty()) argv.insert(argv.end(), {"--cpus", settings.cpus});
    if (!settings.memory.empty()) argv.insert(argv.end(), {"--memory", settings.memory});

    auto add_mount = [&](const std::string& source, const std::string& target,
                         bool writable) -> Result<void> {
        auto args = mount_args(source, target, writable);
        if (!args) return args.error();
        argv.insert(argv.end(), args->begin(), args->end());
        return {};
    };
    struct Wanted {
        std::string source, target;
        bool writable;
    };
    std::vector<Wanted> wanted = {{in.runnerPath, kRunnerInContainer, false},
                                  {spec.workFolder, spec.workFolder, true},
                                  {spec.jobDir, spec.jobDir, true}};
    for (const auto& path : in.claudeConfig) wanted.push_back({path, path, true});
    for (const auto& path : in.gitFolders) wanted.push_back({path, path, true});
    for (const auto& mount : settings.mounts)
        wanted.push_back({mount.source, mount.target, mount.writable});
    for (const auto& mount : wanted)
        if (auto added = add_mount(mount.source, mount.target, mount.writable); !added)
            return added.error();

    argv.insert(argv.end(), settings.runtimeArgs.begin(), settings.runtimeArgs.end());
    argv.push_back(settings.image);
    argv.insert(argv.end(), {"--job-dir", spec.jobDir, "--cwd", spec.workFolder, "--timeout",
                             std::to_string(spec.timeoutSec), "--", settings.claudePath});
    argv.insert(argv.end(), spec.claudeArgs.begin(), spec.claudeArgs.end());
    return argv;
}

Result<std::string> env_file_text(const std::vector<std::string>& patterns,
                                  const std::vector<std::string>& env,
                                  const std::vector<std::string>& extra) {
    std::string text;
    auto add = [&](const std::string& entry) -> Result<void> {
        std::string name = entry.substr(0, entry.find('='));
        if (has(entry, '\n') || has(entry, '\r'))
            return make_error(
                ErrorCode::InvalidArgument,
                "the variable " + name + " holds a line break, which an env file cannot carry");
        text += entry + "\n";
        return {};
    };
    auto set_by_us = [&](const std::string& name) {
        for (const auto& entry : extra)
            if (entry.compare(0, name.size() + 1, name + "=") == 0) return true;
        return false;
    };
    for (const auto& entry : env) {
        auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string name = entry.substr(0, eq);
        if (!env_name_selected(patterns, name) || set_by_us(name)) continue;
        if (auto added = add(entry); !added) return added.error();
    }
    for (const auto& entry : extra)
        if (auto added = add(entry); !added) return added.error();
    return text;
}

}  // namespace cj::container

#include "core/app/app.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "core/jobs/exit_watch.h"
#include "core/tools/job_tools.h"
#include "core/util/files.h"
#include "core/util/ids.h"

namespace cj::app {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {
constexpr auto kPumpInterval = std::chrono::milliseconds(200);
constexpr auto kSweepInterval = std::chrono::hours(1);
}  // namespace

Layout Layout::discover() {
    Layout layout;
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string exe = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "claude-jobs";
    layout.binDir = exe.substr(0, exe.rfind('/'));
    layout.runnerPath = layout.binDir + "/claude-jobs-runner";
    layout.pluginDir = layout.binDir + "/../" CLAUDE_JOBS_PLUGIN_SUBDIR;
    char real[PATH_MAX];
    if (::realpath(layout.pluginDir.c_str(), real)) layout.pluginDir = real;
    return layout;
}

int current_depth() {
    const char* d = std::getenv("CLAUDE_JOBS_DEPTH");
    if (!d) return 0;
    char* end = nullptr;
    long v = std::strtol(d, &end, 10);
    return end && *end == '\0' && v >= 0 && v < 1000 ? static_cast<int>(v) : 0;
}

jobs::JobOwner process_owner() {
    auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return v ? std::string(v).substr(0, 4096) : std::string();
    };
    jobs::JobOwner self;
    self.instance = util::new_job_id();
    self.session = env("CLAUDE_CODE_SESSION_ID");
    self.project = env("CLAUDE_PROJECT_DIR");
    return self;
}

Result<std::unique_ptr<App>> App::create(config::Config config, const Layout& layout) {
    std::unique_ptr<App> app(new App());
    if (auto r = util::make_private_dirs(config.stateDir + "/jobs"); !r) return r.error();
    ::chmod(config.stateDir.c_str(), 0700);
    auto index = jobs::JobIndex::open(config.stateDir + "/jobs.db");
    if (!index) return index.error();
    app->index_ = std::move(*index);

    std::vector<std::string> dirs = config.pluginDirs;
    dirs.push_back(layout.pluginDir);
    app->registry_.scan(dirs);

    claude_jobs::HostContext host;
    host.runnerPath = layout.runnerPath;
    host.stateDir = config.stateDir;
    host.hostVersion = CLAUDE_JOBS_VERSION;
    app->backends_ = std::make_unique<jobs::BackendSet>(config, app->registry_, host);
    app->service_ = std::make_unique<jobs::JobService>(
        std::move(config), *app->index_, *app->backends_, current_depth(),
        jobs::process_environment(), process_owner());
    return app;
}

App::~App() { stop_housekeeping(); }

std::vector<tools::Tool> App::tools() {
    // The loader's view, for claude_backends: every module file in every plugin folder,
    // loaded or refused with the reason, its ABI and toolchain beside the host's.
    std::string hostAbi = plugins::host_abi_version();
    std::string hostToolchain = plugins::host_toolchain();
    std::vector<json> modules;
    for (const auto& m : registry_.reports()) {
        json j = {{"path", m.path}, {"loaded", m.loaded}, {"hostAbi", hostAbi},
                  {"hostToolchain", hostToolchain}};
        if (!m.name.empty()) j["name"] = m.name;
        if (!m.version.empty()) j["version"] = m.version;
        if (m.abiKnown) j["abi"] = std::to_string(m.abiMajor) + "." + std::to_string(m.abiMinor);
        if (!m.compilerAbi.empty()) j["toolchain"] = m.compilerAbi + "/" + m.stdlibAbi;
        if (!m.error.empty()) j["error"] = m.error;
        modules.push_back(std::move(j));
    }
    std::vector<json> folders;
    for (const auto& f : registry_.folders()) {
        json j = {{"path", f.path}, {"found", f.found}, {"modules", f.modules}};
        if (!f.error.empty()) j["error"] = f.error;
        folders.push_back(std::move(j));
    }
    return tools::make_job_tools(*service_, std::move(modules), std::move(folders));
}

void App::start_housekeeping(bool watchExits) {
    service_->follow_changes();
    housekeeper_ = std::thread([this, watchExits] {
        auto next_sweep = std::chrono::steady_clock::now();
        jobs::ExitWatch exits(*index_, jobs::JobDirs{service_->config().stateDir + "/jobs"});
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                service_->pump();
                if (std::chrono::steady_clock::now() >= next_sweep) {
                    service_->sweep();
                    next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
                }
                if (watchExits) exits.refresh();
            } catch (const std::exception& e) {
                spdlog::error("housekeeping failed: {}", e.what());
            }
            lock.lock();
            // The next pass in kPumpInterval, or as soon as a job's exit record appears.
            auto next_pump = std::chrono::steady_clock::now() + kPumpInterval;
            while (!stopping_ && std::chrono::steady_clock::now() < next_pump &&
                   !exits.any_exited())
                cv_.wait_for(lock, jobs::kExitWatchSlice, [this] { return stopping_; });
        }
    });
}

void App::stop_housekeeping() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (housekeeper_.joinable()) housekeeper_.join();
}

}  // namespace cj::app

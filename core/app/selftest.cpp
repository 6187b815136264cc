#include "core/app/selftest.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "claude_jobs/job_folder.h"
#include "core/app/app.h"
#include "core/jobs/claude_program.h"
#include "core/jobs/start_request.h"
#include "core/tools/job_view_json.h"
#include "core/util/files.h"

namespace cj::app {

using nlohmann::json;

namespace {

constexpr const char* kChildVar = "CLAUDE_JOBS_SELFTEST_CHILD";

class Steps {
public:
    bool step(const std::string& what, bool ok, const std::string& detail = "") {
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              start_)
                        .count();
        std::printf("%9.1f ms  %-4s %s%s%s\n", ms, ok ? "ok" : "FAIL", what.c_str(),
                    detail.empty() ? "" : ": ", detail.c_str());
        std::fflush(stdout);
        if (!ok) failed_ = true;
        return ok;
    }
    bool failed() const { return failed_; }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    bool failed_ = false;
};

// Polls the job through the service, as a client would, until it ends or time runs out.
json poll_until_done(jobs::JobService& service, const std::string& id, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    util::CancelToken never;
    for (;;) {
        auto waited = service.wait({id}, jobs::WaitMode::Any, std::chrono::milliseconds(500),
                                   never, nullptr);
        if (waited && !waited->done.empty()) return tools::to_json(waited->done.front());
        if (std::chrono::steady_clock::now() >= deadline) {
            auto view = service.check(id, {});
            return view ? tools::to_json(*view) : json{{"status", "unknown"}};
        }
    }
}

// The claude jobs would run, checked as claude_start checks it: a setup without one fails
// unless only the plumbing is being checked.
void check_claude(Steps& steps, const config::Config& config, bool plumbingOnly) {
    auto env = jobs::job_environment(jobs::process_environment(), config.claude, "selftest", 1);
    auto claude = jobs::find_runnable_claude(config.claude.path, env);
    if (claude)
        steps.step("claude usable", true, *claude);
    else if (plumbingOnly)
        steps.step("claude usable", true,
                   "not required (--plumbing-only): " + claude.error().message);
    else
        steps.step("claude usable", false,
                   claude.error().message + " (--plumbing-only checks the rest without claude)");
}

}  // namespace

bool is_selftest_child() {
    return std::getenv(kChildVar) != nullptr;
}

int run_selftest_child() {
    std::string prompt((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::string session = "00000000-0000-4000-8000-000000000001";
    // Keys in the CLI's own order ("type" first), which the event reader's fast path expects.
    using ordered = nlohmann::ordered_json;
    auto emit = [](const ordered& j) {
        std::cout << j.dump() << "\n" << std::flush;
    };
    emit({{"type", "system"}, {"subtype", "init"}, {"session_id", session}, {"model", "selftest"}});
    if (prompt.find("sleep") != std::string::npos) {
        emit({{"type", "assistant"},
              {"message", {{"id", "msg_1"}, {"content", {{{"type", "text"}, {"text", "sleeping"}}}}}},
              {"session_id", session}});
        for (int i = 0; i < 600; ++i) ::usleep(100 * 1000);  // killed long before this ends
    }
    std::string text = "selftest ok: " + std::to_string(prompt.size()) + " bytes of prompt";
    emit({{"type", "assistant"},
          {"message", {{"id", "msg_2"}, {"content", {{{"type", "text"}, {"text", text}}}}}},
          {"session_id", session}});
    emit({{"type", "result"},     {"subtype", "success"}, {"is_error", false},
          {"result", text},       {"session_id", session}, {"num_turns", 1},
          {"total_cost_usd", 0.0}, {"duration_ms", 1},     {"permission_denials", json::array()}});
    return 0;
}

int run_selftest(const std::optional<std::string>& configPath, bool plumbingOnly) {
    Steps steps;
    auto env = config::current_environment();
    auto loaded = config::load(configPath, env);
    if (!steps.step("config", static_cast<bool>(loaded),
                    loaded ? (loaded->sourcePath.empty() ? "built-in defaults" : loaded->sourcePath)
                           : loaded.error().message))
        return 1;
    config::Config config = *loaded;
    check_claude(steps, config, plumbingOnly);

    char tmpl[] = "/tmp/claude-jobs-selftest-XXXXXX";
    bool made = ::mkdtemp(tmpl) != nullptr;
    if (!steps.step("throwaway state dir", made, tmpl)) return 1;
    config.stateDir = tmpl;
    Layout layout = Layout::discover();
    config.claude.path = layout.binDir + "/claude-jobs";
    config.claude.extraArgs.clear();
    config.claude.env[kChildVar] = "1";
    config.defaultWorkFolder = tmpl;
    config.allowedWorkFolders.clear();
    config.routes.clear();
    config.maxConcurrentJobs = 4;
    config.defaultTimeoutSec = 120;
    config.maxDepth = 1000;
    // Only the local backend, whatever the user's config adds.
    config.backends = {{"local", "local-detached", json::object(), ""}};
    config.defaultBackend = "local";

    // Whatever happens below, nothing of the selftest is left behind: no running job, no
    // folder.
    std::vector<std::string> started_ids;
    std::unique_ptr<App> owned;
    struct Cleanup {
        std::function<void()> run;
        ~Cleanup() { run(); }
    } cleanup{[&] {
        if (owned) {
            util::CancelToken never;
            for (const auto& id : started_ids) {
                auto view = owned->service().check(id, {});
                if (view && view->job.state == jobs::JobState::Running) owned->service().cancel(id, 0, never);
            }
            owned->stop_housekeeping();
            owned.reset();
        }
        util::remove_tree(tmpl);
    }};
    auto app = App::create(config, layout);
    if (!steps.step("job index and plugins", static_cast<bool>(app),
                    app ? layout.pluginDir : app.error().message))
        return 1;
    owned = std::move(*app);
    auto& service = owned->service();
    int loaded_modules = 0;
    for (const auto& m : owned->plugins().reports()) loaded_modules += m.loaded;
    steps.step("plugin modules loaded", loaded_modules > 0, std::to_string(loaded_modules));
    bool runner_ok = ::access(layout.runnerPath.c_str(), X_OK) == 0;
    steps.step("supervisor present", runner_ok, layout.runnerPath);
    owned->start_housekeeping();

    jobs::StartRequest request;
    request.prompt = "say hello from the selftest";
    request.label = "selftest";
    auto started = service.start(request);
    if (!steps.step("start job", static_cast<bool>(started),
                    started ? started->job.id + " " + jobs::state_name(started->job.state)
                            : started.error().message))
        return 1;
    started_ids.push_back(started->job.id);
    json view = poll_until_done(service, started->job.id, 60);
    std::string status = view.value("status", "");
    steps.step("job detached, polled and ended", status == "completed",
               status + (view.contains("reason") ? " (" + view["reason"].get<std::string>() + ")" : ""));
    std::string text = view.contains("result") ? view["result"].value("text", "") : "";
    steps.step("result read back", text.rfind("selftest ok", 0) == 0, text);
    std::string dir = service.job_dir(started->job.id);
    steps.step("exit record written by the supervisor", util::file_size(dir + "/" + claude_jobs::job_folder::kExitFile).has_value(),
               dir + "/" + claude_jobs::job_folder::kExitFile);

    request.prompt = "sleep";
    auto slow = service.start(request);
    if (steps.step("start a long job", static_cast<bool>(slow),
                   slow ? slow->job.id : slow.error().message)) {
        started_ids.push_back(slow->job.id);
        util::CancelToken never;
        auto cancelled = service.cancel(slow->job.id, 2, never);
        std::string st = cancelled ? jobs::state_name(cancelled->job.state) : cancelled.error().message;
        steps.step("cancel ends it", st == "cancelled", st);
    }
    steps.step("cleanup", true, tmpl);
    std::printf("%s\n", steps.failed() ? "selftest FAILED" : "selftest passed");
    return steps.failed() ? 1 : 0;
}

}  // namespace cj::app

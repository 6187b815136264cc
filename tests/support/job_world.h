// What the job rooms stand on, for their tests: a throwaway state dir, a config, a real job
// index (SQLite), a backend set of fake backends, the job folders, the event cache and the
// reconciler. A test builds the rooms above the reconciler it needs from these members, and
// uses the helpers to make rows and to write what a supervisor or claude would write.
//
// Not thread-safe itself (the members are, as in the server).
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claude_jobs/types.h"
#include "core/config/config.h"
#include "core/jobs/acceptance.h"
#include "core/jobs/backend_set.h"
#include "core/jobs/event_cache.h"
#include "core/jobs/job_dirs.h"
#include "core/jobs/job_index.h"
#include "core/jobs/reconciler.h"
#include "core/util/clock.h"
#include "support/fake_backend.h"
#include "support/temp_dir.h"

namespace cj::testing {

// One backend of the set.
struct FakeSpec {
    std::string name;
    claude_jobs::Capabilities capabilities{};
    bool usable = true;  // false: listed with an error and no instance (a module that failed)
};

class JobWorld {
  public:
    // The first backend is the default one.
    explicit JobWorld(std::vector<FakeSpec> specs = {FakeSpec{"fake"}})
        : config(make_config(state.path(), specs)),
          index(open_index(state.path() + "/jobs.db")),
          backends(make_backends(specs, fakes)),
          dirs{config.stateDir + "/jobs"},
          events(dirs),
          reconciler(*index, *backends, events, dirs) {}
    JobWorld(const JobWorld&) = delete;
    JobWorld& operator=(const JobWorld&) = delete;

    TempDir state{"cj-rooms"};
    config::Config config;
    std::unique_ptr<jobs::JobIndex> index;
    std::map<std::string, std::shared_ptr<FakeBackend>> fakes;  // usable backends by name
    std::unique_ptr<jobs::BackendSet> backends;
    jobs::JobDirs dirs;
    jobs::EventCache events;
    jobs::Reconciler reconciler;

    FakeBackend& fake(const std::string& name = "fake") { return *fakes.at(name); }

    // --- rows ----------------------------------------------------------------------------
    jobs::JobRecord draft(const std::string& id, const std::string& backend = "fake") const {
        jobs::JobRecord r;
        r.id = id;
        r.backend = backend;
        r.promptPreview = "prompt of " + id;
        // The real path, as acceptance resolves it (the launcher checks it again).
        r.workFolder = std::filesystem::canonical(state.path()).string();
        r.spec = "{}";
        r.createdAt = util::now_ms();
        return r;
    }
    // Inserts a row with its folder: running (a launch slot, no handle) when fewer than
    // maxRunning run and none is queued, else queued.
    jobs::JobRecord add(const std::string& id, int maxRunning,
                        const std::string& backend = "fake") {
        std::filesystem::create_directories(dirs.dir(id));
        auto inserted = index->insert(draft(id, backend), maxRunning);
        if (!inserted) throw std::runtime_error("insert: " + inserted.error().message);
        return inserted->job;
    }
    jobs::JobRecord add_queued(const std::string& id, const std::string& backend = "fake") {
        return add(id, 0, backend);
    }
    // A running job with a handle, as if launched (so it is also "held" by its backend).
    // Make these before any queued job: the index queues a job behind a queued one.
    jobs::JobRecord add_running(const std::string& id, const std::string& backend = "fake") {
        add(id, 1000, backend);
        claude_jobs::JobHandle handle{id, backend, 1, "{}"};
        auto launched = index->set_launched(id, jobs::handle_to_json(handle), util::now_ms());
        if (!launched || !*launched) throw std::runtime_error("set_launched failed for " + id);
        return row(id);
    }
    // A launched job whose end is recorded in the index only (its backend was never told).
    jobs::JobRecord add_ended(const std::string& id, jobs::JobState state, std::int64_t endedAt,
                              const std::string& backend = "fake") {
        add_running(id, backend);
        auto done = index->finish(id, state, 0, "ended for a test", "", "", endedAt);
        if (!done || !*done) throw std::runtime_error("finish failed for " + id);
        return row(id);
    }
    // A start as acceptance would hand it to the launcher.
    jobs::AcceptedStart accepted(const std::string& id, const std::string& backend = "fake") const {
        jobs::AcceptedStart a;
        a.draft = draft(id, backend);
        a.draft.label = "label of " + id;
        a.prompt = "the prompt of " + id;
        a.plan.claudePath = "/opt/claude";
        a.plan.args = {"-p", "--model", "m"};
        a.plan.env = {"PATH=/usr/bin", "CLAUDE_JOBS_JOB_ID=" + id};
        a.plan.timeoutSec = 77;
        return a;
    }
    jobs::JobRecord row(const std::string& id) {
        auto r = index->get(id);
        if (!r || !*r) throw std::runtime_error("no row for " + id);
        return **r;
    }

    // Whether the index lists the job as ended but still held by its backend (not released).
    bool held_after_end(const std::string& id) {
        auto rows = index->held_after_end({row(id).backend}, 1000);
        if (!rows) throw std::runtime_error("held_after_end: " + rows.error().message);
        for (const auto& r : *rows)
            if (r.id == id) return true;
        return false;
    }

    // --- files in a job folder -----------------------------------------------------------
    // Replaces the file atomically (as the supervisor writes exit.json): a reader never sees
    // it half written.
    void write_file(const std::string& id, const char* name, const std::string& text) const {
        std::filesystem::create_directories(dirs.dir(id));
        std::string tmp = dirs.dir(id) + "/." + name + ".tmp";
        std::ofstream(tmp, std::ios::binary) << text;
        std::filesystem::rename(tmp, dirs.file(id, name));
    }
    void append_file(const std::string& id, const char* name, const std::string& text) const {
        std::filesystem::create_directories(dirs.dir(id));
        std::ofstream(dirs.file(id, name), std::ios::binary | std::ios::app) << text;
    }
    // exit.json as claude-jobs-runner writes it, with `fields` replacing the defaults.
    static std::string exit_record(const nlohmann::json& fields) {
        nlohmann::json j = {{"exitCode", nullptr}, {"signal", nullptr},  {"signalName", nullptr},
                            {"timedOut", false},   {"cancelled", false}, {"launchError", nullptr},
                            {"startedAt", 1000},   {"endedAt", 2000},    {"reason", ""}};
        j.update(fields);
        return j.dump();
    }
    void write_exit(const std::string& id, const nlohmann::json& fields) const {
        write_file(id, jobs::job_files::kExit, exit_record(fields));
    }

  private:
    static config::Config make_config(const std::string& stateDir,
                                      const std::vector<FakeSpec>& specs) {
        config::Config c;
        c.stateDir = stateDir;
        c.defaultBackend = specs.empty() ? "" : specs.front().name;
        c.claude.path = "/bin/true";  // accepted starts need a claude that can run
        for (const auto& s : specs)
            c.backends.push_back({s.name, "fake", nlohmann::json::object(), ""});
        return c;
    }
    static std::unique_ptr<jobs::JobIndex> open_index(const std::string& path) {
        auto opened = jobs::JobIndex::open(path);
        if (!opened) throw std::runtime_error("job index: " + opened.error().message);
        return std::move(*opened);
    }
    static std::unique_ptr<jobs::BackendSet> make_backends(
        const std::vector<FakeSpec>& specs,
        std::map<std::string, std::shared_ptr<FakeBackend>>& fakes) {
        std::vector<jobs::BackendEntry> entries;
        for (const auto& s : specs) {
            jobs::BackendEntry e;
            e.name = s.name;
            e.plugin = "fake";
            if (s.usable) {
                auto backend = std::make_shared<FakeBackend>(s.capabilities);
                fakes[s.name] = backend;
                e.backend = backend;
                e.capabilities = backend->capabilities();
                e.info = backend->info();
            } else {
                e.error = "module fake not found";
            }
            entries.push_back(std::move(e));
        }
        return std::make_unique<jobs::BackendSet>(std::move(entries));
    }
};

}  // namespace cj::testing

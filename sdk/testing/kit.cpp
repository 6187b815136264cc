// The conformance kit's machinery (see kit.h).
#include "kit.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "claude_jobs/job_folder.h"

namespace claude_jobs::testing::detail {

namespace fs = std::filesystem;

namespace {

constexpr milliseconds kPollInterval{10};
constexpr std::int64_t kJobTimeoutSec = 300;  // the supervisor's backstop for a forgotten job

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string random_hex(std::size_t digits) {
    static std::mutex mutex;
    static std::mt19937_64 engine{std::random_device{}()};
    std::lock_guard lock(mutex);
    const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out += hex[engine() % 16];
    return out;
}

bool executable(const std::string& path) {
    return !path.empty() && path.front() == '/' && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

const LoadedModule& load_module(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, LoadedModule> modules;
    std::lock_guard lock(mutex);
    auto found = modules.find(path);
    if (found != modules.end()) return found->second;
    LoadedModule& module = modules[path];
    // RTLD_LOCAL, as the server loads modules: the module's symbols serve only itself.
    module.handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module.handle) {
        const char* why = ::dlerror();
        module.error = path + ": not a loadable shared library: " + (why ? why : "?");
        return module;
    }
    auto info =
        reinterpret_cast<ClaudeJobsInfoFn>(::dlsym(module.handle, "claude_jobs_plugin_info"));
    module.create =
        reinterpret_cast<ClaudeJobsCreateFn>(::dlsym(module.handle, "claude_jobs_create_backend"));
    module.destroy = reinterpret_cast<ClaudeJobsDestroyFn>(
        ::dlsym(module.handle, "claude_jobs_destroy_backend"));
    if (!info || !module.create || !module.destroy) {
        module.error = path + ": missing entry point(s):" +
                       std::string(info ? "" : " claude_jobs_plugin_info") +
                       (module.create ? "" : " claude_jobs_create_backend") +
                       (module.destroy ? "" : " claude_jobs_destroy_backend") +
                       "; put CLAUDE_JOBS_BACKEND(Class, \"name\", \"version\") in one source file";
        return module;
    }
    module.info = info();
    if (!module.info) module.error = path + ": claude_jobs_plugin_info() returned null";
    return module;
}

std::string describe(const Error& error) {
    return std::string(error_code_name(error.code)) + ": " + error.message;
}

std::string Facts::get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? "" : it->second;
}

long Facts::number(const std::string& key) const {
    try {
        std::size_t used = 0;
        std::string text = get(key);
        long value = std::stol(text, &used);
        return used == text.size() ? value : -1;
    } catch (...) {
        return -1;
    }
}

bool host_process_alive(long pid) {
    if (pid <= 0) return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return !stat.empty();
    return stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

Kit::Kit(const BackendSetup& setup, Rule rule) : setup_(setup), rule_(rule) {
    std::string base = setup.scratchDir;
    if (base.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        base = tmp && *tmp ? tmp : "/tmp";
    }
    std::string pattern = base + "/cj-conformance-XXXXXX";
    if (::mkdtemp(pattern.data())) {
        // The real path: the server gives backends resolved work folders, and the runner
        // refuses one with a symlink on its path ($TMPDIR may sit below one).
        std::error_code ec;
        fs::path real = fs::canonical(pattern, ec);
        scratch_ = ec ? pattern : real.string();
        workFolder_ = scratch_ + "/work";
        fs::create_directories(scratch_ + "/state/jobs");
        fs::create_directories(workFolder_);
        ::chmod((scratch_ + "/state").c_str(), 0700);
    }
    host_.instanceName = setup.instanceName;
    host_.runnerPath = setup.runnerPath;
    host_.stateDir = scratch_ + "/state";
    host_.hostVersion = "conformance-kit";
}

Kit::~Kit() {
    // Release every job, then stop what still runs, then wait for the ends: nothing the test
    // started may outlive it.
    for (const auto& started : started_) release(started.job);
    for (const auto& started : started_)
        if (!exit_record(started.job)) started.backend->stop(started.job.spec.jobId, 0);
    for (const auto& started : started_) {
        wait_exit(started.job, setup_.endBound);
        started.backend->destroy(started.job.spec.jobId);
    }
    if (!scratch_.empty()) {
        std::error_code ec;
        fs::remove_all(scratch_, ec);
    }
}

std::string Kit::rule() const {
    return std::string("rule '") + rule_description(rule_) + "': ";
}

std::string Kit::setup_problem() const {
    if (scratch_.empty()) {
        return "cannot make a scratch folder under " +
               (setup_.scratchDir.empty() ? std::string("$TMPDIR or /tmp") : setup_.scratchDir);
    }
    if (setup_.modulePath.empty() && !setup_.factory)
        return "BackendSetup names neither a module (modulePath) nor a factory";
    if (!executable(setup_.runnerPath))
        return "runnerPath \"" + setup_.runnerPath +
               "\" is not an absolute path to an executable claude-jobs-runner";
    if (!executable(setup_.jobProgram))
        return "jobProgram \"" + setup_.jobProgram +
               "\" is not an absolute path to an executable claude-jobs-conformance-job";
    if (!setup_.modulePath.empty()) {
        const LoadedModule& module = load_module(setup_.modulePath);
        if (!module.error.empty()) return module.error;
    }
    return "";
}

Result<BackendPtr> Kit::new_backend(bool configure) {
    BackendPtr backend;
    if (!setup_.modulePath.empty()) {
        const LoadedModule& module = load_module(setup_.modulePath);
        if (!module.error.empty()) return make_error(ErrorCode::Unavailable, module.error);
        IJobBackend* made = module.create();
        if (!made) return make_error(ErrorCode::Internal, "the module's factory returned null");
        ClaudeJobsDestroyFn destroy = module.destroy;
        backend = BackendPtr(made, [destroy](IJobBackend* b) { destroy(b); });
    } else {
        std::unique_ptr<IJobBackend> made = setup_.factory();
        if (!made) return make_error(ErrorCode::Internal, "the factory returned null");
        backend = BackendPtr(std::move(made));
    }
    if (configure) {
        auto configured = backend->configure(setup_.configJson, host_);
        if (!configured) return configured.error();
    }
    return backend;
}

TestJob Kit::prepare(const JobOptions& options) {
    static std::atomic<unsigned> sequence{0};
    TestJob job;
    JobSpec& spec = job.spec;
    spec.jobId = "conf-" + std::to_string(::getpid()) + "-" + std::to_string(sequence++) + "-" +
                 random_hex(8);
    spec.jobDir = host_.stateDir + "/jobs/" + spec.jobId;
    fs::create_directories(spec.jobDir);
    ::chmod(spec.jobDir.c_str(), 0700);
    {
        std::ofstream prompt(spec.jobDir + "/" + job_folder::kPromptFile, std::ios::binary);
        prompt << options.prompt;
    }
    ::chmod((spec.jobDir + "/" + job_folder::kPromptFile).c_str(), 0600);
    spec.workFolder = workFolder_;
    spec.claudePath = setup_.jobProgram;
    job.factsPath = workFolder_ + "/" + spec.jobId + ".facts";
    job.releasePath = workFolder_ + "/" + spec.jobId + ".release";
    spec.claudeArgs = {"--facts",       job.factsPath, "--release",
                       job.releasePath, "--exit",      std::to_string(options.exitCode)};
    if (options.grandchild) spec.claudeArgs.push_back("--grandchild");
    if (options.escapees) spec.claudeArgs.push_back("--escapees");
    if (options.ignoreTerm) spec.claudeArgs.push_back("--ignore-term");
    job.token = random_hex(16);
    const char* path = std::getenv("PATH");
    spec.env = {std::string("PATH=") + (path ? path : "/usr/bin:/bin"),
                "CLAUDE_JOBS_JOB_ID=" + spec.jobId, "CLAUDE_JOBS_CONFORMANCE_TOKEN=" + job.token};
    spec.env.insert(spec.env.end(), setup_.extraJobEnv.begin(), setup_.extraJobEnv.end());
    spec.timeoutSec = kJobTimeoutSec;
    spec.label = "conformance";
    return job;
}

Result<JobHandle> Kit::start(const BackendPtr& backend, TestJob& job) {
    auto handle = backend->start(job.spec);
    if (handle) job.handle = *handle;
    // Remembered even when start() failed: a backend may have launched something anyway.
    std::lock_guard lock(mutex_);
    started_.push_back({backend, job});
    return handle;
}

std::optional<Facts> Kit::wait_facts(const TestJob& job, milliseconds bound) {
    auto deadline = Clock::now() + bound;
    for (;;) {
        std::string text = read_file(job.factsPath);
        if (!text.empty()) {
            Facts facts;
            std::istringstream lines(text);
            std::string line;
            while (std::getline(lines, line)) {
                auto eq = line.find('=');
                if (eq != std::string::npos) facts.values[line.substr(0, eq)] = line.substr(eq + 1);
            }
            return facts;
        }
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(kPollInterval);
    }
}

std::optional<ExitRecord> Kit::exit_record(const TestJob& job) const {
    std::string text = read_file(job.spec.jobDir + "/" + job_folder::kExitFile);
    if (text.empty()) return std::nullopt;
    // Read as the server reads it: the job folder's one reader.
    auto decoded = job_folder::decode_exit_record(text);
    if (!decoded) return std::nullopt;
    ExitRecord record;
    record.text = text;
    record.exitCode = decoded->exitCode;
    record.signal = decoded->signal;
    record.cancelled = decoded->cancelled;
    return record;
}

std::optional<ExitRecord> Kit::wait_exit(const TestJob& job, milliseconds bound) {
    auto deadline = Clock::now() + bound;
    for (;;) {
        if (auto record = exit_record(job)) return record;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(kPollInterval);
    }
}

void Kit::hand_over(const std::string& jobId, const BackendPtr& backend) {
    std::lock_guard lock(mutex_);
    for (auto& started : started_)
        if (started.job.spec.jobId == jobId) started.backend = backend;
}

void Kit::release(const TestJob& job) {
    std::ofstream(job.releasePath) << "released\n";
}

}  // namespace claude_jobs::testing::detail

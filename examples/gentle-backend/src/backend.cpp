// GentleBackend (see backend.h): launching supervisors gently, following them by pid + start
// time + boot id, stopping them through the supervisor so the whole job ends.
#include "backend.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <claude_jobs/job_folder.h>
#include <nlohmann/json.hpp>

#include "launch.h"

#ifndef GENTLE_VERSION
#define GENTLE_VERSION "0.0.0"
#endif

namespace gentle {

namespace {

namespace folder = claude_jobs::job_folder;
using claude_jobs::ErrorCode;
using claude_jobs::JobStatus;
using claude_jobs::make_error;
using claude_jobs::Result;
using claude_jobs::RunState;
using nlohmann::json;

constexpr std::uint32_t kStateVersion = 1;

}  // namespace

GentleBackend::GentleBackend()
    : LocalRunnerBackend({"gentle", GENTLE_VERSION,
                          "a detached supervisor at low CPU and I/O priority, with optional "
                          "resource limits; jobs survive server restarts"},
                         {/*survivesServerRestart=*/true}, kStateVersion) {}

Result<void> GentleBackend::check_health(const Context& context) {
    if (auto problem = LocalRunnerBackend::check_health(context); !problem) return problem;
    // Linux has had I/O priorities since 2.6.13; a seccomp filter may still forbid them.
    if (::syscall(SYS_ioprio_get, 1, 0) < 0) {
        int error = errno;
        return make_error(ErrorCode::Unavailable,
                          std::string("I/O priorities are not available here (ioprio_get: ") +
                              std::strerror(error) + ")",
                          error);
    }
    return {};
}

Result<JobState> GentleBackend::launch(const claude_jobs::JobSpec& spec, const Context& context) {
    const std::string& runner = context.host.runnerPath;
    auto argv = folder::RunnerCommand::for_job(spec, runner).argv();
    auto launched = launch_gently(runner, argv, spec.env, context.settings);
    if (!launched) return launched.error();
    return JobState{{launched->pid, launched->startTime, context.bootId}, spec.jobDir};
}

Result<JobStatus> GentleBackend::query(const std::string& jobId, const JobState& job,
                                       const Context& context) {
    auto status = LocalRunnerBackend::query(jobId, job, context);
    if (!status || status->state == RunState::Running) return status;
    // The supervisor's exit record, when it has written one, says how the job ended.
    if (auto ended = folder::read_exit_record(job.jobDir)) {
        JobStatus exited;
        exited.state = RunState::Exited;
        exited.exitCode = ended->exitCode.value_or(-1);
        exited.signal = ended->signal.value_or(0);
        exited.reason = ended->reason;
        return exited;
    }
    return status;
}

std::string encode_state(const JobState& state) {
    return json{{"pid", state.runner.pid},
                {"startTime", state.runner.startTime},
                {"bootId", state.runner.bootId},
                {"jobDir", state.jobDir}}
        .dump();
}

bool decode_state(const std::string& text, JobState& out, std::string& why) {
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded() || !state.is_object()) {
        why = "not a JSON object";
        return false;
    }
    const auto pid = state.find("pid");
    const auto start = state.find("startTime");
    const auto boot = state.find("bootId");
    const auto dir = state.find("jobDir");
    if (pid == state.end() || !pid->is_number_integer() || pid->get<std::int64_t>() < 2 ||
        start == state.end() || !start->is_number_unsigned() || boot == state.end() ||
        !boot->is_string() || dir == state.end() || !dir->is_string() ||
        dir->get<std::string>().empty() || dir->get<std::string>().front() != '/') {
        why = "expected pid (at least 2), startTime, bootId and an absolute jobDir";
        return false;
    }
    out.runner = {pid->get<std::int64_t>(), start->get<std::uint64_t>(), boot->get<std::string>()};
    out.jobDir = dir->get<std::string>();
    return true;
}

}  // namespace gentle

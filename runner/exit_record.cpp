// The one-line reason and the runner's exit status (see exit_record.h).
#include "runner/exit_record.h"

#include "runner/options.h"

namespace cj::runner {

using claude_jobs::job_folder::signal_name;

namespace {

std::string plain_reason(const ExitRecord& record, std::int64_t timeoutMs) {
    if (!record.launchError.empty()) return record.launchError;
    if (record.cancelled) return "cancelled";
    if (record.timedOut) return "ran past " + format_seconds(timeoutMs) + " s";
    if (record.signal) return "killed by " + signal_name(*record.signal);
    if (record.exitCode) return "exit code " + std::to_string(*record.exitCode);
    return "ended without an exit status";
}

}  // namespace

std::string exit_reason(const ExitRecord& record, std::int64_t timeoutMs) {
    std::string reason = plain_reason(record, timeoutMs);
    if (record.noSpaceLeft) reason += "; " + std::string(kNoSpaceText);
    return reason;
}

int runner_exit_status(const ExitRecord& record) {
    if (record.signal) return 128 + *record.signal;
    if (record.exitCode) return *record.exitCode;
    return 125;
}

}  // namespace cj::runner

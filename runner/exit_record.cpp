// Building exit.json and the one-line reason (see exit_record.h).
#include "runner/exit_record.h"

#include <cstring>

#include "runner/json_writer.h"
#include "runner/options.h"

namespace cj::runner {

std::string signal_name(int signal) {
    const char* abbrev = ::sigabbrev_np(signal);
    return std::string("SIG") + (abbrev != nullptr ? abbrev : std::to_string(signal).c_str());
}

std::string exit_reason(const ExitRecord& record) {
    if (record.launchError) return *record.launchError;
    if (record.cancelled) return "cancelled";
    if (record.timedOut) return "ran past " + format_seconds(record.timeoutMs) + " s";
    if (record.signal) return "killed by " + signal_name(*record.signal);
    if (record.exitCode) return "exit code " + std::to_string(*record.exitCode);
    return "ended without an exit status";
}

std::string exit_record_json(const ExitRecord& record) {
    JsonObject json;
    if (record.exitCode) {
        json.add_int("exitCode", *record.exitCode);
    } else {
        json.add_null("exitCode");
    }
    if (record.signal) {
        json.add_int("signal", *record.signal)
            .add_string("signalName", signal_name(*record.signal));
    } else {
        json.add_null("signal").add_null("signalName");
    }
    json.add_bool("timedOut", record.timedOut).add_bool("cancelled", record.cancelled);
    if (record.launchError) {
        json.add_string("launchError", *record.launchError);
    } else {
        json.add_null("launchError");
    }
    json.add_int("startedAt", record.startedAt)
        .add_int("endedAt", record.endedAt)
        .add_string("reason", exit_reason(record));
    return json.str();
}

int runner_exit_status(const ExitRecord& record) {
    if (record.signal) return 128 + *record.signal;
    if (record.exitCode) return *record.exitCode;
    return 125;
}

}  // namespace cj::runner

// Parsing of the runner's command line (see options.h).
#include "runner/options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "claude_jobs/job_folder.h"

namespace cj::runner {

const char* const kUsage =
    "usage: claude-jobs-runner --job-dir DIR [--cwd DIR] [--timeout SEC] [--grace SEC] "
    "[--nice N] [--terminal] -- PROGRAM [ARGS...]";

namespace {

namespace folder = claude_jobs::job_folder;

constexpr double kMaxSeconds = 366.0 * 24 * 3600;

// A non-negative integer up to max, or -1.
int parse_small_int(const char* text, int max) {
    if (text == nullptr || *text == '\0') return -1;
    long value = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') return -1;
        value = value * 10 + (*p - '0');
        if (value > max) return -1;
    }
    return static_cast<int>(value);
}

}  // namespace

std::int64_t parse_seconds(const char* text) {
    if (text == nullptr || *text == '\0') return -1;
    // strtod also takes "inf", "nan" and hex; a limit is only ever plain digits.
    for (const char* p = text; *p != '\0'; ++p) {
        if ((*p < '0' || *p > '9') && *p != '.') return -1;
    }
    char* end = nullptr;
    double value = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(value) || value < 0 || value > kMaxSeconds) {
        return -1;
    }
    return static_cast<std::int64_t>(std::llround(value * 1000));
}

std::string format_seconds(std::int64_t ms) {
    char buf[32];
    if (ms % 1000 == 0) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(ms / 1000));
    } else {
        std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000);
        // Trailing zeros of the fraction say nothing: "1.500" reads as "1.5".
        char* last = buf + std::strlen(buf) - 1;
        while (*last == '0') *last-- = '\0';
    }
    return buf;
}

ParsedOptions parse_options(int argc, char** argv) {
    ParsedOptions parsed;
    Options& opts = parsed.options;
    auto fail = [&](std::string message) {
        parsed.error = std::move(message);
        return parsed;
    };
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == folder::kEndOfOptions) {
            ++i;
            break;
        }
        if (arg == folder::kTerminalOption) {
            opts.terminal = true;
            continue;
        }
        bool takesValue = arg == folder::kJobDirOption || arg == folder::kCwdOption ||
                          arg == folder::kTimeoutOption || arg == folder::kGraceOption ||
                          arg == folder::kNiceOption;
        if (!takesValue) return fail("unknown option " + arg);
        if (i + 1 >= argc) return fail(arg + " needs a value");
        const char* value = argv[++i];
        if (arg == folder::kJobDirOption) {
            opts.jobDir = value;
        } else if (arg == folder::kCwdOption) {
            opts.cwd = value;
        } else if (arg == folder::kNiceOption) {
            opts.niceness = parse_small_int(value, 19);
            if (opts.niceness < 0)
                return fail("--nice takes 0 to 19, not '" + std::string(value) + "'");
        } else {
            std::int64_t ms = parse_seconds(value);
            if (ms < 0) return fail(arg + " takes a number of seconds, not '" + value + "'");
            (arg == folder::kTimeoutOption ? opts.timeoutMs : opts.graceMs) = ms;
        }
    }
    for (; i < argc; ++i) opts.command.emplace_back(argv[i]);
    if (opts.jobDir.empty()) return fail("--job-dir is required");
    if (opts.command.empty() || opts.command[0].empty()) {
        return fail("the program to run goes after --");
    }
    return parsed;
}

}  // namespace cj::runner

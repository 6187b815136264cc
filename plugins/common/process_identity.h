// Telling whether a process is still the one we started: a pid alone is not an identity (pids
// are reused), so the backend pairs it with the process start time (/proc/<pid>/stat field 22)
// and the boot id. Linux only. Shared by the backends that follow a claude-jobs-runner.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace cj::plugin_common {

struct ProcStat {
    char state = '?';             // field 3: R, S, D, Z, X, ...
    std::int64_t pgrp = 0;        // field 5
    std::uint64_t startTime = 0;  // field 22, clock ticks since boot
};

// Parses the text of /proc/<pid>/stat. Allocates nothing and calls nothing, so a freshly forked
// child may use it. Fields are counted after the last ')' because the command name may hold
// spaces and parentheses.
bool parse_proc_stat(const char* text, std::size_t length, ProcStat& out) noexcept;

// The stat of a live or zombie process; nullopt when there is no such process.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// /proc/sys/kernel/random/boot_id, trimmed; "" when unreadable.
std::string current_boot_id();

// Whether pid is a running (not zombie) process that started at startTime.
bool is_same_process(pid_t pid, std::uint64_t startTime);

// Sends sig to pid only if it is still the process that started at startTime. Uses a pidfd
// where the kernel has them, so a pid reused between the check and the signal is never hit.
// Returns false when the process is gone or is another one.
bool signal_if_same(pid_t pid, std::uint64_t startTime, int sig);

}  // namespace cj::plugin_common

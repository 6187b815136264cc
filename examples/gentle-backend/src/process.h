// Following a process this backend did not necessarily start (after a server restart): a pid
// is not an identity, so it is paired with the process's start time (/proc/<pid>/stat field
// 22) and the boot id. Plus the few file operations the backend needs. Linux only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace gentle {

struct ProcessIdentity {
    pid_t pid = 0;
    std::uint64_t startTime = 0;  // clock ticks since boot
};

// The start time and process group of a live (not zombie) process; nullopt otherwise.
struct ProcStat {
    std::uint64_t startTime = 0;
    pid_t pgrp = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

bool is_alive(const ProcessIdentity& process);

// Sends sig only if pid is still the process that started at startTime (through a pidfd, so
// a pid reused in between is never hit). False when it is gone or another process.
bool signal_exactly(const ProcessIdentity& process, int sig);

// /proc/sys/kernel/random/boot_id; "" when unreadable.
std::string boot_id();

// A small regular file's content, read without following a final symlink; nullopt when absent.
std::optional<std::string> read_small_file(const std::string& path);

// Writes dir/name whole or not at all (temporary file + rename), 0600.
bool write_file_atomically(const std::string& dir, const std::string& name,
                           const std::string& content);

}  // namespace gentle

// The plain data that crosses between the host and a backend. Standard library only:
// config and backend state cross as JSON text, never as a JSON library's types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace claude_jobs {

// What the host tells a backend once, before anything else (see IJobBackend::configure).
struct HostContext {
    std::string instanceName;  // the backend's name in the config, e.g. "local" or "fast"
    std::string runnerPath;    // absolute path of claude-jobs-runner, the per-job supervisor
    std::string stateDir;      // the state directory (jobs live under stateDir/jobs/<id>)
    std::string hostVersion;   // claude-jobs version, for logs
};

// Everything a backend needs to launch one job. The host has already created jobDir
// (0700) with prompt.txt in it, validated the work folder and built claude's argv.
struct JobSpec {
    std::string jobId;                    // validated, safe in a path or a name
    std::string jobDir;                   // absolute: stateDir/jobs/<jobId>
    std::string workFolder;               // absolute real path of an existing directory
    std::string claudePath;               // program to run (a name looked up in PATH, or a path)
    std::vector<std::string> claudeArgs;  // its arguments, without the program name
    std::vector<std::string> env;         // the job's complete environment, "NAME=value"
    std::int64_t timeoutSec = 0;          // 0 = no limit; the supervisor enforces it
    std::string label;                    // free text from the client, for names and displays
};

// What the host persists for a job (in the job index) so that a later process, after a
// restart, can hand it back to recover(). backendState is the backend's own JSON text.
struct JobHandle {
    std::string jobId;
    std::string instanceName;  // HostContext::instanceName of the backend that started it
    std::uint32_t stateVersion = 1;
    std::string backendState;  // opaque to the host
};

// How the job's process stands, as far as the backend can tell without blocking.
// The host first reads the supervisor's exit record (jobDir/exit.json); status() is asked
// only while that record is absent, so Exited here means "ended without a record".
enum class RunState {
    Running,  // the supervisor (or container) is alive
    Exited,   // it ended; exitCode/signal say how, if known
    Lost,     // it is gone and nothing says how it ended (the host marks the job orphaned)
};

struct JobStatus {
    RunState state = RunState::Running;
    int exitCode = -1;   // when Exited and known
    int signal = 0;      // when Exited by a signal
    // One line for a person, required for Lost. For Running: why the job's process has not
    // started yet (waiting in a scheduler's queue), shown as the job's activity.waiting; "" once
    // it runs.
    std::string reason;
};

// Flags read once after configure(); optional methods are called only when set.
struct Capabilities {
    bool survivesServerRestart = false;  // recover() can re-attach to a running job
    bool attach = false;                 // attachCommand() gives a command a person can run
    bool sendInput = false;              // sendInput() types into the job
};

struct BackendInfo {
    std::string plugin;       // the module's name, e.g. "local-detached"
    std::string version;      // the module's own version
    std::string description;  // one line
};

}  // namespace claude_jobs

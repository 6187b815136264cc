// The "slurm" backend: each job is one Slurm batch job whose batch step runs the job's
// supervisor, claude-jobs-runner, on whichever node Slurm picks. The supervisor writes
// events.jsonl, stderr.log, runner.json and exit.json into the job folder exactly as for a
// local job (the folder must be visible on the nodes at the same path: sharedRoot), so the
// runner's records decide a job's outcome; Slurm is asked only while they are silent: whether
// the job still waits in the queue (and why), runs, or ended without a record (and how).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "claude_jobs/runner_backend.h"
#include "queue.h"
#include "settings.h"
#include "state.h"

namespace cj::slurm {

// The settings, the Slurm commands they name (found once when configured; "" when not found)
// and the server's SLURM_CONF (handed to the commands and to the jobs).
struct Configuration {
    Settings settings;
    std::string sbatch, squeue, scancel, scontrol;
    std::string slurmConf;
};

// The settings (see settings.h) and where the commands are; false with a reason naming the key.
bool parse_settings(const std::string& configJson, Configuration& out, std::string& why);

// Thread-safe: the base's lock guards the configuration and the job map, this class's own what
// Slurm last said and the health cache; no call holds either while it runs a Slurm command.
// status() never runs one: it reads the job folder's records and what a poller thread last
// learnt from one `squeue` for all the jobs (at most twice a second, only while status() is
// being asked), so it costs two small file reads and a map lookup.
class SlurmBackend final : public claude_jobs::RunnerBackend<Configuration, SlurmJob> {
  public:
    SlurmBackend();
    ~SlurmBackend() override;

  protected:
    void configured(const Context& context) override;
    // Commands missing, runner missing, shared root unreachable or not holding the state dir,
    // controller not answering (`scontrol ping`): each said with its fix. The ping's healthy
    // answer is reused for 10 s, an unhealthy one for 2 s.
    Result<void> check_health(const Context& context) override;
    // Writes the runner's argument file and submits the batch script (one `sbatch`, about
    // 20-100 ms); returns once Slurm has accepted the job, which may then wait in the queue.
    Result<SlurmJob> launch(const claude_jobs::JobSpec& spec, const Context& context) override;
    Result<claude_jobs::JobStatus> query(const std::string& jobId, const SlurmJob& job,
                                         const Context& context) override;
    // Leaves the grace for the runner; a job that has not started its runner yet is cancelled
    // in Slurm at once; a running one gets SIGTERM in its runner only (`scancel --batch`), which
    // ends the job's group and escapees and records `cancelled`; a stop repeated after the grace
    // (and a margin) cancels the whole allocation.
    Result<void> halt(const std::string& jobId, const SlurmJob& job, int graceSec,
                      const Context& context) override;
    // Forgets what Slurm said of the job; for a job this process never tracked (a launch the
    // server did not live to record), cancels any Slurm job of its name.
    Result<void> release(const std::string& jobId, const std::optional<SlurmJob>& job,
                         const Context& context) override;

  private:
    // What squeue last said of a Slurm job.
    struct Seen {
        std::optional<QueueEntry> entry;  // none: squeue answered without it (Slurm forgot it)
        std::chrono::steady_clock::time_point at;  // when that squeue started
    };
    struct Health {
        bool checked = false;
        std::chrono::steady_clock::time_point at;
        claude_jobs::Result<void> result;
    };

    Result<void> ping_controller(const Context& context);
    void poll_loop();
    void poll_once();

    std::mutex mutex_;
    std::map<std::string, Seen> seen_;  // by Slurm job id
    // When this process submitted a Slurm job: an answer older than that says nothing of it.
    std::map<std::string, std::chrono::steady_clock::time_point> submitted_;
    // When a job (by our id) was first asked to stop, for the grace before a full scancel.
    std::map<std::string, std::chrono::steady_clock::time_point> stopAsked_;
    Health health_;

    std::condition_variable pollWake_;
    bool pollWanted_ = false;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point lastPoll_{};
    std::thread poller_;
};

}  // namespace cj::slurm

#!/usr/bin/env python3
"""claude_start, claude_check and start-to-running on the slurm backend vs local.

usage: bench/slurm_start.py BIN_DIR [--repeat N]
BIN_DIR holds claude-jobs, claude-jobs-runner and fake-claude (a Release build is what
docs/performance.md reports). Needs a Slurm cluster whose slurm.conf SLURM_CONF names, e.g. the
tests' private one: tests/slurm/cluster.sh start /tmp/cj-slurm (then stop it the same way).

Per backend, N samples each of:
  start      claude_start round trip (the job: sleep 60), ms
  running    from claude_start's reply to the runner's runner.json appearing (the job's
             supervisor runs: for slurm, sbatch -> scheduled -> slurmstepd -> runner), ms
  check      claude_check of that running job, ms
Each job is cancelled before the next sample, so the cluster is idle for every start.
Prints the median and p90 per measure, and the 1-minute load average before and after.
"""
import argparse, json, os, shutil, statistics, subprocess, tempfile, time

from stdio_server import StdioServer


def start_server(bin_dir, state):
    return StdioServer(bin_dir, state, {
        "maxConcurrentJobs": 100, "retentionDays": 0,
        "claude": {"path": os.path.join(bin_dir, "fake-claude"), "permissionMode": ""},
        "backends": {"local": {"plugin": "local-detached"}, "slurm": {"plugin": "slurm"}}})


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin_dir")
    ap.add_argument("--repeat", type=int, default=15)
    o = ap.parse_args()
    o.bin_dir = os.path.abspath(o.bin_dir)
    root = tempfile.mkdtemp(prefix="cj-slurm-bench-")
    print("load average before: %s" % load())
    try:
        work = os.path.join(root, "work"); os.makedirs(work)
        state = os.path.join(root, "state"); os.makedirs(state)
        server = start_server(o.bin_dir, state)
        results = {}
        for backend in ("local", "slurm"):
            starts, running, checks = [], [], []
            for i in range(o.repeat + 1):  # the first is a warm-up
                ms, started = server.tool("claude_start", {"prompt": "sleep 60", "workFolder": work,
                                                           "backend": backend})
                t0 = time.perf_counter()
                runner = os.path.join(state, "jobs", started["jobId"], "runner.json")
                while not os.path.exists(runner):
                    if time.perf_counter() - t0 > 30:
                        view = server.tool("claude_check", {"jobId": started["jobId"]})[1]
                        raise RuntimeError("job %s did not start: %s" % (started["jobId"],
                                                                        json.dumps(view)[:2000]))
                    time.sleep(0.002)
                ran = (time.perf_counter() - t0) * 1000
                check = [server.tool("claude_check", {"jobId": started["jobId"]})[0]
                         for _ in range(5)]
                server.tool("claude_cancel", {"jobId": started["jobId"], "graceSec": 0})
                server.tool("claude_wait", {"jobIds": [started["jobId"]], "timeoutSec": 30})
                if i == 0:
                    continue
                starts.append(ms); running.append(ran); checks.extend(check)
            results[backend] = {"start": starts, "running": running, "check": checks}
        server.close()
        print("%-8s %-9s %9s %9s %5s" % ("backend", "measure", "median", "p90", "n"))
        for backend, measures in results.items():
            for name, xs in measures.items():
                xs = sorted(xs)
                p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
                print("%-8s %-9s %7.2f ms %6.2f ms %5d" % (backend, name, statistics.median(xs),
                                                          p90, len(xs)))
    finally:
        print("load average after: %s" % load())
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

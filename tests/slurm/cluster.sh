#!/usr/bin/env bash
# A private single-node Slurm cluster for the slurm backend's tests, in a folder of its own:
# its own munged (own key, socket and pid file), slurmctld and slurmd in the foreground of
# detached sessions, a slurm.conf with free ports, SlurmUser=root, one node (this machine's
# name, at 127.0.0.1) with 4 CPUs, proctrack/cgroup (so scancel also ends a double-forked
# grandchild), no accounting database. Nothing outside DIR is written but the node's cgroups.
#
#   cluster.sh start DIR   starts it (stopping one left in DIR first); clients then need
#                          SLURM_CONF=DIR/slurm.conf. Exit 0 once the node is idle.
#   cluster.sh start-for-tests DIR   the same, but where Slurm is not installed it says so and
#                          exits 0 starting nothing (the tests then skip, saying why).
#   cluster.sh stop DIR    stops every daemon it started, by the pids it recorded.
#   cluster.sh check       exit 0 when Slurm and munge are installed, else says what is missing.
set -euo pipefail

need=(munged slurmctld slurmd sbatch squeue scancel scontrol)
missing() {
  local m=()
  for p in "${need[@]}"; do command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || m+=("$p"); done
  echo "${m[*]:-}"
}
export PATH="$PATH:/usr/sbin"

# Stops the daemons whose pid files are given: SIGTERM to each at once, SIGKILL to any still
# there after 10 s. Only those pids are signalled.
stop_pids() {
  local pids=() file pid
  for file in "$@"; do
    [ -s "$file" ] || continue
    pid="$(cat "$file")"
    rm -f "$file"
    [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || continue
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 100); do
    local left=()
    for pid in "${pids[@]+"${pids[@]}"}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ "${#left[@]}" -eq 0 ] && return 0
    pids=("${left[@]}")
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop() {
  local dir="$1"
  # Jobs a failed test left behind are cancelled first, so that no step daemon or job process
  # outlives the cluster (slurmd leaves running jobs' slurmstepd alone when it stops).
  if [ -s "$dir/run/slurmctld.pid" ] && [ -f "$dir/slurm.conf" ]; then
    local ids
    ids="$(SLURM_CONF="$dir/slurm.conf" squeue --noheader --format=%i 2>/dev/null || true)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      SLURM_CONF="$dir/slurm.conf" scancel $ids 2>/dev/null || true
      for _ in $(seq 150); do
        [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue --noheader --format=%i 2>/dev/null)" ] && break
        sleep 0.1
      done
    fi
  fi
  # slurmd ends the jobs' step daemons and their processes as it goes; munged goes last, as
  # the other two still talk to it while they stop.
  stop_pids "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid"
  stop_pids "$dir/run/munged.pid"
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

start() {
  local dir="$1"
  local m; m="$(missing)"
  if [ -n "$m" ]; then echo "slurm test cluster: missing $m (scripts/install-deps.sh --test installs them)" >&2; exit 2; fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd -P)"
  stop "$dir"
  rm -rf "$dir/run" "$dir/state" "$dir/spool" "$dir/log"
  mkdir -p "$dir/run" "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  chmod 755 "$dir" "$dir/munge"

  # munge: a key of its own, its socket in a folder of mode 755 (munged checks that).
  local key="$dir/munge/munge.key"
  [ -s "$key" ] || { head -c 1024 /dev/urandom > "$key"; chmod 400 "$key"; }
  local socket="$dir/munge/munge.socket"
  setsid munged --foreground --force --key-file="$key" --socket="$socket" \
    --pid-file="$dir/run/munged.pidfile" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munge.seed" </dev/null >>"$dir/log/munged.out" 2>&1 &
  echo $! > "$dir/run/munged.pid"

  local host; host="$(hostname -s)"
  local ctld_port; ctld_port="$(free_port)"
  local d_port; d_port="$(free_port)"
  while [ "$d_port" = "$ctld_port" ]; do d_port="$(free_port)"; done
  # Job ids from a random start: two such clusters on one machine (two checkouts testing at
  # once) share the node's cgroup tree, whose folders are named by job id.
  local first_job=$(( (RANDOM * 32768 + RANDOM) % 60000000 + 1000 ))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=cjtest
FirstJobId=$first_job
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pidfile
SlurmdPidFile=$dir/run/slurmd.pidfile
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
MpiDefault=none
KillWait=5
MinJobAge=5
MessageTimeout=10
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  cat > "$dir/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
CONF
  export SLURM_CONF="$dir/slurm.conf"
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  [ -S "$socket" ] || { echo "slurm test cluster: munged did not start (see $dir/log)" >&2; stop "$dir"; exit 1; }

  setsid slurmctld -D -i </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! > "$dir/run/slurmctld.pid"
  setsid slurmd -D </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  echo $! > "$dir/run/slurmd.pid"

  # Ready once the node takes jobs.
  local state=""
  for _ in $(seq 200); do
    state="$(sinfo --noheader --format=%T 2>/dev/null || true)"
    case "$state" in idle*|mixed*|allocated*) echo "$dir/slurm.conf"; return 0 ;; esac
    sleep 0.1
  done
  echo "slurm test cluster: the node did not become idle (state '$state'; see $dir/log)" >&2
  tail -5 "$dir"/log/*.log >&2 || true
  stop "$dir"
  exit 1
}

case "${1:-}" in
  start) start "${2:?usage: cluster.sh start DIR}" ;;
  start-for-tests)
    m="$(missing)"
    if [ -n "$m" ]; then
      echo "slurm test cluster: not started, Slurm is not installed (missing $m); the slurm tests skip" >&2
      exit 0
    fi
    start "${2:?usage: cluster.sh start-for-tests DIR}" ;;
  stop) stop "${2:?usage: cluster.sh stop DIR}" ;;
  check) m="$(missing)"; if [ -n "$m" ]; then echo "missing: $m"; exit 1; fi ;;
  *) echo "usage: cluster.sh start|stop DIR | check" >&2; exit 64 ;;
esac

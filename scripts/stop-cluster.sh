#!/usr/bin/env bash
# Stops the local cluster started by scripts/start-cluster.sh: SIGTERM to the pid in each
# data/nodeN/broker.pid, up to RUNNEL_STOP_TIMEOUT_S (default 15) seconds to finish in-flight
# writes and exit, then SIGKILL; the pid files are removed. With --wipe it then deletes
# data/node1..3 (partition logs, Raft state, logs) and the cluster secret file, so the next
# start founds a new cluster with a new secret.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/cluster.sh
source scripts/lib/cluster.sh

usage="usage: scripts/stop-cluster.sh [--wipe]"
wipe=false
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=true ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "stop-cluster: unknown argument \"$arg\"" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done

timeout_s="${RUNNEL_STOP_TIMEOUT_S:-15}"
if ! [[ "$timeout_s" =~ ^[0-9]+$ ]]; then
  echo "stop-cluster: RUNNEL_STOP_TIMEOUT_S must be a whole number of seconds (got \"$timeout_s\")" >&2
  exit 2
fi

# Waits until none of the given pids is alive, for at most $1 seconds; prints the survivors.
wait_gone() {
  local limit=$(($1 * 10)) pid alive i
  shift
  for ((i = 0; i <= limit; i++)); do
    alive=()
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
    done
    if ((${#alive[@]} == 0)); then return 0; fi
    sleep 0.1
  done
  echo "${alive[@]}"
}

pids=()
for n in "${NODES[@]}"; do
  pidfile="$(node_pidfile "$n")"
  [[ -f "$pidfile" ]] || continue
  if pid="$(live_broker_pid "$n")"; then
    kill -TERM "$pid" 2>/dev/null || true
    echo "node $n: SIGTERM sent to pid $pid"
    pids+=("$pid")
  else
    echo "node $n: not running (removing the stale $pidfile)"
    rm -f "$pidfile"
  fi
done

survivors=""
if ((${#pids[@]} > 0)); then
  survivors="$(wait_gone "$timeout_s" "${pids[@]}")"
  if [[ -n "$survivors" ]]; then
    echo "still running after ${timeout_s} s, sending SIGKILL: $survivors"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $survivors 2>/dev/null || true
    # shellcheck disable=SC2086
    survivors="$(wait_gone 5 $survivors)"
  fi
fi

for n in "${NODES[@]}"; do
  pidfile="$(node_pidfile "$n")"
  # A pid file is removed only once its process is gone, so a rerun can still find a survivor.
  if [[ -f "$pidfile" ]] && ! live_broker_pid "$n" > /dev/null; then rm -f "$pidfile"; fi
done

if [[ -n "$survivors" ]]; then
  echo "stop-cluster: pid(s) $survivors did not exit even after SIGKILL; their pid files are kept" >&2
  exit 1
fi
echo "stopped"

if $wipe; then
  secret_list="$(secret_files)"
  for n in "${NODES[@]}"; do rm -rf "$(node_dir "$n")"; done
  wiped="$(for n in "${NODES[@]}"; do printf '%s ' "$(node_dir "$n")"; done)"
  while IFS= read -r secret_file; do
    [[ -n "$secret_file" ]] || continue
    rm -f "$secret_file"
    wiped+="$secret_file "
  done <<<"$secret_list"
  echo "wiped $wiped"
fi

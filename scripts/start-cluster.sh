#!/usr/bin/env bash
# Starts the three-node cluster of configs/node1.json..node3.json on this machine, in the
# background, and waits until it has formed. A new cluster first gets a random secret in the
# file the configs name in cluster.secret_file (data/cluster.secret, mode 0600), with which
# the brokers authenticate each other; an existing file is kept. Formed means: every node's GET /status shows a `__metadata`
# group with a known leader and a connection to every broker. Logs and pid files go to
# data/nodeN/broker.log and data/nodeN/broker.pid; scripts/stop-cluster.sh stops it.
#
# Environment: RUNNEL_START_TIMEOUT_S (default 60) bounds the wait. On timeout, or when a
# broker exits during the start, the script prints the tail of every log and exits 1, leaving
# the brokers that still run as they are so they can be inspected (stop-cluster.sh stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/cluster.sh
source scripts/lib/cluster.sh

timeout_s="${RUNNEL_START_TIMEOUT_S:-60}"
if ! [[ "$timeout_s" =~ ^[0-9]+$ ]]; then
  echo "start-cluster: RUNNEL_START_TIMEOUT_S must be a whole number of seconds (got \"$timeout_s\")" >&2
  exit 2
fi

# Reads node N's HTTP and Kafka addresses from its config file, so edited ports are followed.
# A wildcard bind (0.0.0.0) is reached on loopback, as `./broker status` does.
node_addresses() {
  node -e '
    const c = require(require("path").resolve(process.argv[1]));
    const http = c.http || {}, server = c.server || {};
    const httpHost = !http.host || http.host === "0.0.0.0" ? "127.0.0.1" : http.host;
    console.log(`${httpHost}:${http.port ?? 8080} ${server.advertised_host ?? "127.0.0.1"}:${server.port ?? 9092}`);
  ' "$(node_config "$1")"
}

# Judges one GET /status answer (on stdin): prints why the node is not ready, or nothing.
READY_CHECK='
  const expected = Number(process.argv[1]);
  let s;
  try { s = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch { console.log("GET /status answered no JSON"); process.exit(0); }
  const meta = (s.groups || []).find((g) => g.group === "__metadata");
  const brokers = s.brokers || [];
  const down = brokers.filter((b) => !b.connected).map((b) => b.nodeId);
  if (!meta) console.log("no __metadata group yet");
  else if (!(meta.leader > 0)) console.log(`__metadata has no leader yet (term ${meta.term}, ${meta.state})`);
  else if (brokers.length < expected) console.log(`knows ${brokers.length} of ${expected} brokers`);
  else if (down.length > 0) console.log(`not connected to broker ${down.join(", ")}`);
'

not_ready_reason() {
  local answer
  if ! answer="$(curl -fsS --max-time 2 "http://${HTTP_ADDR[$1]}/status" 2>&1)"; then
    echo "no status at http://${HTTP_ADDR[$1]}/status (${answer#curl: })"
    return
  fi
  node -e "$READY_CHECK" "${#NODES[@]}" <<<"$answer"
}

print_log_tails() {
  for n in "${NODES[@]}"; do
    echo "---- last 30 lines of $(node_log "$n") ----" >&2
    tail -n 30 "$(node_log "$n")" >&2 2>/dev/null || echo "(no log)" >&2
  done
}

declare -A HTTP_ADDR KAFKA_ADDR
for n in "${NODES[@]}"; do
  # An assignment first, so a config node cannot read stops the script (set -e) with its error.
  addresses="$(node_addresses "$n")"
  read -r "HTTP_ADDR[$n]" "KAFKA_ADDR[$n]" <<<"$addresses"
done

# Refuse before starting anything, so a new node never joins one left running from before.
for n in "${NODES[@]}"; do
  if pid="$(live_broker_pid "$n")"; then
    echo "start-cluster: node $n is already running (pid $pid in $(node_pidfile "$n")); stop it first with scripts/stop-cluster.sh" >&2
    exit 1
  fi
done

# The brokers refuse cluster mode without their secret. A fresh one is 32 random bytes in
# base64, written under umask 077 and renamed into place, so it is never readable by others
# and never half-written.
secret_list="$(secret_files)"
while IFS= read -r secret_file; do
  [[ -n "$secret_file" ]] || continue
  if [[ -s "$secret_file" ]]; then continue; fi
  mkdir -p "$(dirname "$secret_file")"
  (
    umask 077
    node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64") + "\n")' > "$secret_file.tmp.$$"
  )
  mv "$secret_file.tmp.$$" "$secret_file"
  echo "generated the cluster secret in $secret_file (mode 0600)"
done <<<"$secret_list"

for n in "${NODES[@]}"; do
  mkdir -p "$(node_dir "$n")"
  # The scripts' own RUNNEL_* settings are not broker config; unset, they cause no start-up warning.
  nohup env -u RUNNEL_START_TIMEOUT_S -u RUNNEL_STOP_TIMEOUT_S ./broker -config="$(node_config "$n")" > "$(node_log "$n")" 2>&1 < /dev/null &
  echo "$!" > "$(node_pidfile "$n")"
  echo "started node $n (pid $!, kafka ${KAFKA_ADDR[$n]}, http ${HTTP_ADDR[$n]})"
done

echo "waiting up to ${timeout_s} s for a metadata leader and all brokers connected..."
deadline=$((SECONDS + timeout_s))
next_report=$((SECONDS + 10))
while :; do
  pending=()
  for n in "${NODES[@]}"; do
    if ! live_broker_pid "$n" > /dev/null; then
      echo "start-cluster: node $n exited during the start (see $(node_log "$n"))" >&2
      print_log_tails
      echo "start-cluster: brokers still running are left as they are; scripts/stop-cluster.sh stops them" >&2
      exit 1
    fi
    reason="$(not_ready_reason "$n")"
    if [[ -n "$reason" ]]; then pending+=("node $n: $reason"); fi
  done
  if ((${#pending[@]} == 0)); then break; fi
  if ((SECONDS >= deadline)); then
    echo "start-cluster: the cluster did not form within ${timeout_s} s:" >&2
    printf '  %s\n' "${pending[@]}" >&2
    print_log_tails
    echo "start-cluster: the brokers are left running for inspection; scripts/stop-cluster.sh stops them" >&2
    exit 1
  fi
  if ((SECONDS >= next_report)); then
    printf '  still waiting: %s\n' "${pending[@]}"
    next_report=$((SECONDS + 10))
  fi
  sleep 1
done

bootstrap=""
for n in "${NODES[@]}"; do bootstrap+="${bootstrap:+,}${KAFKA_ADDR[$n]}"; done

echo
echo "Runnel cluster is up (${#NODES[@]} nodes)."
for n in "${NODES[@]}"; do
  echo "  node $n: pid $(cat "$(node_pidfile "$n")"), data $PWD/$(node_dir "$n"), log $PWD/$(node_log "$n"), pid file $PWD/$(node_pidfile "$n"), status http://${HTTP_ADDR[$n]}/status"
done
echo "status:    ./broker status -config=configs/node1.json"
echo "cluster:   ./runnel cluster status"
echo "stop:      scripts/stop-cluster.sh   (--wipe also deletes data/node1..3)"
echo "bootstrap servers: $bootstrap"

#!/usr/bin/env bash
# End-to-end check of the local three-node cluster (configs/node1..3.json) with kcat:
#   1. start it (scripts/start-cluster.sh) on empty data directories, and check that it made the
#      cluster secret the configs name (mode 0600) and the brokers authenticate with it;
#   2. produce numbered records with acks=all and idempotence, bootstrapping through broker 1,
#      and kill -9 the leader of the partition while they flow;
#   3. consume through broker 2 and check that every record is there exactly once;
#   4. restart the killed broker, wait until its replica caught up, stop the cluster and check
#      that the three replicas' segment files are byte-identical.
# It needs kcat and curl. Because it starts from empty data directories it refuses to run
# while data/node1..3 exist, unless given --wipe (which deletes them first). It stops the
# cluster when it ends, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/cluster.sh
source scripts/lib/cluster.sh

RECORDS="${RUNNEL_TEST_RECORDS:-20000}"
TOPIC="cluster-test-$$"
fail() { echo "test-cluster: FAIL: $*" >&2; exit 1; }

if [[ "${1:-}" == "--wipe" ]]; then
  scripts/stop-cluster.sh --wipe > /dev/null
elif compgen -G "data/node[123]" > /dev/null; then
  echo "test-cluster: data/node1..3 exist; rerun with --wipe to delete them and test on a fresh cluster" >&2
  exit 2
fi
command -v kcat > /dev/null || fail "kcat is not installed"
trap 'scripts/stop-cluster.sh > /dev/null 2>&1 || true' EXIT

scripts/start-cluster.sh > /dev/null
echo "cluster started"

# Issue 9 item A: the configs read a secret start-cluster.sh generated; nobody runs insecure.
secret_list="$(secret_files)"
[[ -n "$secret_list" ]] || fail "the node configs name no cluster.secret_file"
while IFS= read -r secret_file; do
  [[ -s "$secret_file" ]] || fail "start-cluster.sh did not create the secret file $secret_file"
  mode="$(stat -c %a "$secret_file")"
  [[ "$mode" == 600 ]] || fail "$secret_file has mode $mode, not 600"
done <<<"$secret_list"
for n in "${NODES[@]}"; do
  if grep -q 'NOT authenticated\|secret file .* is readable' "$(node_log "$n")"; then fail "node $n warns about its cluster secret"; fi
done
echo "the brokers authenticate each other with the generated secret in $secret_list"

# The leader of partition 0 of the topic as the first answering broker sees it (0 while none is known).
leader_of() {
  node -e '
    (async () => {
      for (const port of [8081, 8082, 8083]) {
        try {
          const s = await (await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(1000) })).json();
          const g = s.groups.find((x) => x.group === process.argv[1]);
          if (g && g.leader > 0) return console.log(g.leader);
        } catch {}
      }
      console.log(0);
    })();
  ' "$TOPIC-0"
}

# The first record creates the topic (auto-create, replication factor 3 from the configs).
echo 0 | kcat -b 127.0.0.1:9092 -t "$TOPIC" -P -X acks=all
for _ in $(seq 1 100); do [[ "$(leader_of)" != 0 ]] && break; sleep 0.1; done
victim="$(leader_of)"
[[ "$victim" != 0 ]] || fail "$TOPIC-0 got no leader"
echo "topic $TOPIC created; partition 0 is led by broker $victim"

# Produce at a bounded pace (about 5 s in all) so the kill lands mid-stream. kcat reports
# every record it could not deliver ("Delivery failed") and then exits non-zero.
produce_log="$(mktemp)"
(
  for ((i = 1; i <= RECORDS; i++)); do
    echo "$i"
    if (( i % 400 == 0 )); then sleep 0.1; fi
  done
) | kcat -b 127.0.0.1:9092 -t "$TOPIC" -P -X acks=all -X enable.idempotence=true -X message.timeout.ms=60000 2> "$produce_log" &
producer=$!
sleep 1.5
kill -9 "$(live_broker_pid "$victim")"
echo "killed broker $victim (the leader) while producing"
if ! wait "$producer"; then cat "$produce_log" >&2; fail "kcat reported undelivered records"; fi
if grep -q "Delivery failed" "$produce_log"; then cat "$produce_log" >&2; fail "kcat reported undelivered records"; fi
rm -f "$produce_log"
new_leader=0
for _ in $(seq 1 100); do new_leader="$(leader_of)"; [[ "$new_leader" != 0 && "$new_leader" != "$victim" ]] && break; sleep 0.1; done
echo "all $RECORDS records acknowledged; broker $new_leader leads now"

# Consume through broker 2: every number exactly once, plus the creating record 0.
consumed="$(mktemp)"
kcat -b 127.0.0.1:9093 -t "$TOPIC" -C -e -q -o beginning > "$consumed"
total="$(wc -l < "$consumed")"
distinct="$(sort -un "$consumed" | wc -l)"
missing="$(seq 0 "$RECORDS" | sort -n | comm -23 - <(sort -un "$consumed") | wc -l)"
rm -f "$consumed"
[[ "$missing" == 0 ]] || fail "$missing acknowledged records are missing"
[[ "$total" == "$distinct" ]] || fail "$((total - distinct)) records were written twice"
echo "consumed through broker 2: $total records, none lost, none duplicated"

# Restart the killed broker and wait until its replica applied what the others did.
nohup ./broker -config="$(node_config "$victim")" >> "$(node_log "$victim")" 2>&1 < /dev/null &
echo "$!" > "$(node_pidfile "$victim")"
caught_up=no
for _ in $(seq 1 300); do
  if node -e '
    const ports = [8081, 8082, 8083];
    Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/status`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json())))
      .then((all) => {
        const g = all.map((s) => s.groups.find((x) => x.group === process.argv[1]));
        const ok = g.every((x) => x && x.leader > 0 && x.applied === g[0].applied && x.lastIndex === g[0].lastIndex);
        process.exit(ok ? 0 : 1);
      }, () => process.exit(1));
  ' "$TOPIC-0"; then caught_up=yes; break; fi
  sleep 0.2
done
[[ "$caught_up" == yes ]] || fail "broker $victim did not catch up within 60 s"
echo "broker $victim restarted and caught up"

scripts/stop-cluster.sh > /dev/null
trap - EXIT
sums="$(for n in "${NODES[@]}"; do cat "data/node$n/$TOPIC-0"/*.log | sha256sum | cut -d' ' -f1; done | sort -u | wc -l)"
[[ "$sums" == 1 ]] || fail "the replicas of $TOPIC-0 differ"
echo "the three replicas of $TOPIC-0 are byte-identical"
echo "test-cluster: PASS"

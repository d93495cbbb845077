#!/bin/sh
# Issue 13's end-to-end goal, side by side in one run: kcat -P, then `runnel bench produce`, then
# kcat -C and `runnel bench consume`, one after the other against one running broker, each with
# its wall and CPU time (/usr/bin/time) and the load average before and after. Optionally a second
# Runnel checkout (BEFORE=/path/to/checkout) runs the same commands, for before/after figures.
#
#   ./broker &                                    # any broker (or cluster) to measure against
#   BOOTSTRAP=127.0.0.1:9092 RECORDS=1000000 bench/sdk-vs-kcat.sh
#
# Values are RECORD_BYTES (100) bytes, acks all with idempotence on both clients, no compression,
# one partition per topic, new topics each run. Needs kcat and /usr/bin/time.
set -eu
here="$(cd "$(dirname "$0")/.." && pwd)"
bootstrap="${BOOTSTRAP:-127.0.0.1:9092}"
records="${RECORDS:-1000000}"
bytes="${RECORD_BYTES:-100}"
run="$(date +%s)"
lines="/tmp/sdk-vs-kcat-$records-$bytes.txt"
[ -f "$lines" ] || yes "$(head -c "$bytes" /dev/zero | tr '\0' x)" | head -n "$records" > "$lines"

timed() { # label, command...
  label="$1"
  shift
  echo "== $label (load $(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -f "$label: %e s wall, %U s user + %S s sys CPU" "$@"
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

"$here/runnel" -b "$bootstrap" topic create "kcat-$run" --partitions 1 > /dev/null
timed "kcat -P" kcat -P -b "$bootstrap" -t "kcat-$run" -X acks=all -X enable.idempotence=true -l "$lines"
if [ -n "${BEFORE:-}" ]; then
  timed "runnel bench produce (before: $BEFORE)" "$BEFORE/runnel" -b "$bootstrap" bench produce --topic "before-$run" --partitions 1 --records "$records" --record-bytes "$bytes" --acks all
fi
timed "runnel bench produce" "$here/runnel" -b "$bootstrap" bench produce --topic "runnel-$run" --partitions 1 --records "$records" --record-bytes "$bytes" --acks all
timed "kcat -C" sh -c "kcat -C -b '$bootstrap' -t 'runnel-$run' -o beginning -e -q -c '$records' | wc -l"
if [ -n "${BEFORE:-}" ]; then
  timed "runnel bench consume (before: $BEFORE)" "$BEFORE/runnel" -b "$bootstrap" bench consume --topic "runnel-$run" --records "$records"
fi
timed "runnel bench consume" "$here/runnel" -b "$bootstrap" bench consume --topic "runnel-$run" --records "$records"

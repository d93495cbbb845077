#!/usr/bin/env bash
# The bounded chaos set CI runs (issue 10): a few fixed seeds, each a short run of the chaos
# runner (test/chaos/run.ts) with the fault kinds below, one after another. About 80 s per seed
# on a 2-core machine (the fault time plus cluster start, heal and checks). Needs root and
# nftables (.ci/run installs it). Prints "chaos: N passed, N failed" last; exits 1 if any failed.
#
# CHAOS_SEEDS, CHAOS_TIME (seconds of faults per seed) and CHAOS_FAULTS override the defaults.
# A kind with an open bug in docs/reliability.md that makes every run drawing it fail is left out
# of the default list until the fix; today every kind is in (the self-check never is).
set -uo pipefail
cd "$(dirname "$0")/.."

# Seed 14 draws power-loss (its second fault with the list below; another list draws other kinds).
seeds=${CHAOS_SEEDS:-"1 2 14"}
time_s=${CHAOS_TIME:-45}
faults=${CHAOS_FAULTS:-kill,kill-minority,kill-all,power-loss,pause,partition-halves,partition-leader,partition-oneway,flap,corrupt,disk-full}

passed=0
failed=0
for seed in $seeds; do
  echo "==> chaos seed $seed (${time_s}s: $faults)"
  if node --import tsx test/chaos/run.ts --time "$time_s" --seed "$seed" --faults "$faults"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "chaos seed $seed FAILED; replay: npm run chaos -- --time $time_s --seed $seed --faults $faults"
  fi
done
echo "chaos: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

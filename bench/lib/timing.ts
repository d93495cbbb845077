// Runs a function repeatedly for a time budget and reports how often it ran: the loop the
// micro benchmarks share (bench/codec.ts, bench/codecs.ts). Nothing here asserts on speed.

export interface TimingOptions {
  /** Calls before the clock starts, so the JIT and caches have settled. */
  warmup: number;
  /** Calls between two looks at the clock (cheap functions need many). */
  perRound: number;
  /** Stop after this many calls even within the budget. */
  callsMax: number;
}

export function runFor(seconds: number, fn: () => unknown, opts: TimingOptions): { calls: number; seconds: number } {
  for (let i = 0; i < opts.warmup; i++) fn();
  const budgetNs = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0n;
  while (calls < opts.callsMax) {
    for (let i = 0; i < opts.perRound; i++) fn();
    calls += opts.perRound;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed >= budgetNs) break;
  }
  return { calls, seconds: Number(elapsed) / 1e9 };
}

// Drives in-process RaftHosts for tests: ticks every host a millisecond apart (so an in-memory
// hub delivers messages well within an election timeout) until a condition holds, bounded.

import assert from 'node:assert/strict';

export async function tickUntil(what: string, check: () => boolean, hosted: Iterable<{ host: { tick(): void } }>, ticksMax = 2_000): Promise<void> {
  for (let i = 0; i < ticksMax; i++) {
    if (check()) return;
    for (const h of hosted) h.host.tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.fail(`${what}: not reached within ${ticksMax} ticks`);
}

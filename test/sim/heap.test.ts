// The simulated network's message heap: messages come out ordered by (delivery step, send
// sequence), so equal delivery steps keep send order and a seed replays exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightHeap } from './heap.ts';
import { Rng } from '../../src/raft/index.ts';

test('flight heap: pops in (at, seq) order under interleaved pushes and pops', () => {
  const rng = new Rng(7);
  const heap = new FlightHeap<number>();
  const model: { at: number; seq: number }[] = [];
  let seq = 0;
  for (let round = 0; round < 2000; round++) {
    if (rng.chance(0.6) || heap.size === 0) {
      const f = { at: rng.int(0, 50), seq: seq++, item: 0 };
      heap.push(f);
      model.push(f);
    } else {
      model.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const want = model.shift()!;
      const got = heap.pop()!;
      assert.deepEqual([got.at, got.seq], [want.at, want.seq]);
    }
    assert.equal(heap.size, model.length);
  }
});

// issue 13: the range and cooperative-sticky assignors, with cases from Kafka's RangeAssignorTest
// and (Cooperative)StickyAssignorTest, and seeded property checks of KIP-429's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicPartitions } from '../../../../src/protocol/consumer-protocol.ts';
import { type AssignorMember, pairsOf, tpKey } from '../../../../src/client/consumer/assignor.ts';
import { rangeAssignor } from '../../../../src/client/consumer/range-assignor.ts';
import { cooperativeStickyAssignor } from '../../../../src/client/consumer/cooperative-sticky-assignor.ts';
import { SeededRng } from '../../../helpers/seeded-rng.ts';

const member = (memberId: string, topics: string[], owned: Record<string, number[]> = {}, generationId = -1): AssignorMember => ({
  memberId,
  topics,
  ownedPartitions: Object.entries(owned).map(([topic, partitions]) => ({ topic, partitions })),
  generationId,
});
const counts = (c: Record<string, number>) => new Map(Object.entries(c));
const flat = (tps: TopicPartitions | undefined) => pairsOf(tps ?? []).map(([t, p]) => `${t}-${p}`);

test('range, Kafka RangeAssignorTest: one consumer gets every partition; only its topics', () => {
  const got = rangeAssignor.assign([member('c1', ['t'])], counts({ t: 3, other: 3 }));
  assert.deepEqual(flat(got.get('c1')), ['t-0', 't-1', 't-2']);
});

test('range, Kafka RangeAssignorTest: two consumers, one partition: the first by member id gets it', () => {
  const got = rangeAssignor.assign([member('c2', ['t']), member('c1', ['t'])], counts({ t: 1 }));
  assert.deepEqual(flat(got.get('c1')), ['t-0']);
  assert.deepEqual(flat(got.get('c2')), []);
});

test('range, Kafka RangeAssignorTest: multiple consumers, mixed topics', () => {
  const got = rangeAssignor.assign([member('c1', ['t1']), member('c2', ['t1', 't2']), member('c3', ['t1'])], counts({ t1: 3, t2: 2 }));
  assert.deepEqual(flat(got.get('c1')), ['t1-0']);
  assert.deepEqual(flat(got.get('c2')), ['t1-1', 't2-0', 't2-1']);
  assert.deepEqual(flat(got.get('c3')), ['t1-2']);
});

test('range, Kafka RangeAssignorTest: two consumers, two topics of three partitions: ranges per topic', () => {
  const got = rangeAssignor.assign([member('c1', ['t1', 't2']), member('c2', ['t1', 't2'])], counts({ t1: 3, t2: 3 }));
  assert.deepEqual(flat(got.get('c1')), ['t1-0', 't1-1', 't2-0', 't2-1']);
  assert.deepEqual(flat(got.get('c2')), ['t1-2', 't2-2']);
});

test('cooperative-sticky, Kafka StickyAssignorTest: one consumer; none subscribed; only subscribed topics', () => {
  assert.deepEqual(flat(cooperativeStickyAssignor.assign([member('c1', [])], counts({ t: 3 })).get('c1')), []);
  assert.deepEqual(flat(cooperativeStickyAssignor.assign([member('c1', ['t'])], counts({ t: 3, other: 3 })).get('c1')), ['t-0', 't-1', 't-2']);
});

test('cooperative-sticky, Kafka StickyAssignorTest: multiple consumers, mixed topic subscriptions', () => {
  const got = cooperativeStickyAssignor.assign([member('c1', ['t1']), member('c2', ['t1', 't2']), member('c3', ['t1'])], counts({ t1: 3, t2: 2 }));
  assert.deepEqual(flat(got.get('c1')), ['t1-0', 't1-2']);
  assert.deepEqual(flat(got.get('c2')), ['t2-0', 't2-1']);
  assert.deepEqual(flat(got.get('c3')), ['t1-1']);
});

test('cooperative-sticky, Kafka CooperativeStickyAssignorTest add/remove consumer: a moving partition waits one round (KIP-429)', () => {
  const round1 = cooperativeStickyAssignor.assign([member('c1', ['t'])], counts({ t: 3 }));
  assert.deepEqual(flat(round1.get('c1')), ['t-0', 't-1', 't-2']);
  // c2 joins: c1 keeps two and must revoke t-2 before c2 may have it.
  const round2 = cooperativeStickyAssignor.assign([member('c1', ['t'], { t: [0, 1, 2] }, 1), member('c2', ['t'])], counts({ t: 3 }));
  assert.deepEqual(flat(round2.get('c1')), ['t-0', 't-1']);
  assert.deepEqual(flat(round2.get('c2')), []);
  const round3 = cooperativeStickyAssignor.assign([member('c1', ['t'], { t: [0, 1] }, 2), member('c2', ['t'], {}, 2)], counts({ t: 3 }));
  assert.deepEqual(flat(round3.get('c1')), ['t-0', 't-1']);
  assert.deepEqual(flat(round3.get('c2')), ['t-2']);
  // c1 leaves: c2 keeps t-2 and takes the rest at once (nobody owns them).
  const round4 = cooperativeStickyAssignor.assign([member('c2', ['t'], { t: [2] }, 3)], counts({ t: 3 }));
  assert.deepEqual(flat(round4.get('c2')), ['t-0', 't-1', 't-2']);
});

test('cooperative-sticky: a claim from an older generation loses; two claims at one generation both lose', () => {
  const got = cooperativeStickyAssignor.assign([member('c1', ['t'], { t: [0, 1] }, 5), member('c2', ['t'], { t: [0] }, 4)], counts({ t: 2 }));
  // c1's generation-5 claim on t-0 stands, so c1 keeps t-0; t-1 moves to c2 and so waits a round.
  assert.deepEqual(flat(got.get('c1')), ['t-0']);
  assert.deepEqual(flat(got.get('c2')), []);
  const tie = cooperativeStickyAssignor.assign([member('c1', ['t'], { t: [0] }, 5), member('c2', ['t'], { t: [0] }, 5)], counts({ t: 1 }));
  assert.deepEqual([...flat(tie.get('c1')), ...flat(tie.get('c2'))], ['t-0']);
});

// KIP-429's rules over random groups: each round, (1) no partition goes to two members, (2) no
// partition goes to a member while another member owns it, (3) a member keeps what it owned
// unless it owned more than floor(partitions / members), and, once moves settle, (4) every partition is
// assigned and loads differ by at most one when all members subscribe to the same topics.
test('cooperative-sticky properties over 300 seeded rebalances', () => {
  const rng = new SeededRng(429);
  for (let scenario = 0; scenario < 60; scenario++) {
    const partitions = counts({ a: rng.int(1, 8), b: rng.int(0, 6) });
    const total = partitions.get('a')! + partitions.get('b')!;
    let owned = new Map<string, TopicPartitions>();
    let ids = Array.from({ length: rng.int(1, 5) }, (_, i) => `m${scenario}-${i}`);
    let generation = 1;
    for (let round = 0; round < 5; round++) {
      if (round > 0 && rng.chance(0.5) && ids.length > 1) {
        const leaving = rng.int(0, ids.length - 1);
        ids = ids.filter((_, i) => i !== leaving);
      } else if (round > 0) ids = [...ids, `m${scenario}-new${round}`];
      // Rounds repeat until nothing is withheld, as members rejoin after revoking.
      for (let settle = 0; settle < 3; settle++) {
        const members = ids.map((id) => member(id, ['a', 'b'], Object.fromEntries((owned.get(id) ?? []).map((tp) => [tp.topic, tp.partitions])), generation));
        const got = cooperativeStickyAssignor.assign(members, partitions);
        const fair = Math.floor(total / ids.length); // minQuota: only total % members may hold one more
        const seen = new Set<string>();
        for (const id of ids) {
          for (const [t, p] of pairsOf(got.get(id)!)) {
            const key = tpKey(t, p);
            assert.ok(!seen.has(key), `${key} given twice (scenario ${scenario})`);
            seen.add(key);
            for (const other of ids) {
              if (other !== id) assert.ok(!flat(owned.get(other)).includes(`${t}-${p}`), `${key} given while ${other} owns it`);
            }
          }
          const before = flat(owned.get(id));
          const after = flat(got.get(id));
          if (before.length <= fair) for (const tp of before) assert.ok(after.includes(tp), `${id} lost ${tp} though it held ${before.length} <= ${fair}`);
        }
        owned = got;
        generation++;
        if (seen.size === total) break;
      }
      const loads = ids.map((id) => flat(owned.get(id)).length);
      assert.equal(
        loads.reduce((s, n) => s + n, 0),
        total,
        `scenario ${scenario} round ${round}: all assigned after settling`,
      );
      assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `scenario ${scenario}: balanced ${loads}`);
    }
  }
});

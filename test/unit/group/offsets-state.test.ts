// The compacted state of a __consumer_offsets partition (offsets-state.ts): tombstones keep it to
// live groups and offsets, it survives its snapshot format, a bad snapshot is refused naming the
// field, and replaying a suffix of the log over a state that covers it changes nothing (which is
// what lets a Raft snapshot carry a state newer than the log start it restarts a follower at).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetsState, OffsetsSnapshotError } from '../../../src/broker/group/offsets-state.ts';
import { groupKey, groupValue, offsetKey, offsetValue } from '../../../src/broker/group/records.ts';
import type { GroupRecord } from '../../../src/broker/group/group.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';

type Rec = { key: Buffer; value: Buffer | null };

const commitRec = (group: string, partition: number, offset: number): Rec => ({
  key: offsetKey(group, 't', partition),
  value: offsetValue({ offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000 + offset }),
});
const groupRec = (group: string, generationId: number): Rec => {
  const record: GroupRecord = { protocolType: 'consumer', generationId, protocolName: 'range', leader: 'm', stateTimestampMs: 5, members: [] };
  return { key: groupKey(group), value: groupValue(record) };
};
const groupTombstone = (group: string): Rec => ({ key: groupKey(group), value: null });
const offsetTombstone = (group: string, partition: number): Rec => ({ key: offsetKey(group, 't', partition), value: null });

function replay(records: Rec[], base = new OffsetsState()): OffsetsState {
  for (const r of records) base.apply(r.key, r.value);
  return base;
}

/** The state as plain data, for comparisons. */
function view(state: OffsetsState): unknown {
  return [...state.groups]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([g, c]) => [g, c.record?.generationId ?? null, [...c.offsets.values()].map((o) => `${o.partition}=${o.offset}`).sort()]);
}

test('issue 9: tombstones keep the state to live groups and offsets, whatever the history', () => {
  const records: Rec[] = [];
  for (let n = 0; n < 10_000; n++) records.push(commitRec(`g${n % 5}`, n % 4, n));
  records.push(groupRec('g0', 3), groupTombstone('g0'), offsetTombstone('g1', 0), offsetTombstone('g1', 1), offsetTombstone('g1', 2), offsetTombstone('g1', 3));
  records.push(offsetTombstone('never-seen', 1));
  const state = replay(records);
  assert.deepEqual([...state.groups.keys()].sort(), ['g2', 'g3', 'g4'], 'a group tombstone takes the offsets; an offsets-only group with none left goes');
  assert.equal(state.offsetCount(), 12, '3 groups × 4 partitions, not 10,000 commits');
});

test('a state survives its snapshot format and says what it covers', () => {
  const state = replay([groupRec('g', 7), commitRec('g', 0, 11), commitRec('h', 2, 5)]);
  const text = state.serialize(42);
  const { state: back, coveredOffset } = OffsetsState.deserialize(text);
  assert.equal(coveredOffset, 42);
  assert.deepEqual(view(back), view(state));
  assert.deepEqual(back.groups.get('g')!.offsets.get('t\u00000'), {
    offset: 11,
    leaderEpoch: -1,
    metadata: '',
    commitTimestampMs: 1011,
    topic: 't',
    partition: 0,
  });
  // Snapshots written before coveredOffset moved inside carry it beside them only.
  const old = JSON.stringify({ version: 1, records: JSON.parse(text).records });
  assert.equal(OffsetsState.deserialize(old, 40).coveredOffset, 40);
});

test('a bad snapshot is refused with the field that is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /not JSON/],
    ['{"version":2,"records":[]}', /field "version"/],
    ['{"version":1,"records":{}}', /field "records"/],
    ['{"version":1,"records":[]}', /field "coveredOffset"/],
    ['{"version":1,"coveredOffset":3,"records":[[1,2]]}', /field "records\[0\]"/],
    ['{"version":1,"coveredOffset":3,"records":[["AAk=",""]]}', /field "records\[0\]"/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => OffsetsState.deserialize(text),
      (err: Error) => err instanceof OffsetsSnapshotError && message.test(err.message),
      text,
    );
  assert.throws(() => OffsetsState.deserialize('{"version":1,"coveredOffset":3,"records":[]}', 4), /3 inside, 4 beside/);
});

test('replaying any suffix of the log over a state that covers it gives the state of the whole log (seeded)', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const rng = new SeededRng(seed);
    const groups = ['a', 'b', 'c'];
    const records: Rec[] = [];
    for (let n = 0; n < 200; n++) {
      const g = groups[rng.int(0, groups.length - 1)];
      const roll = rng.next();
      if (roll < 0.7) records.push(commitRec(g, rng.int(0, 3), n));
      else if (roll < 0.8) records.push(groupRec(g, n));
      else if (roll < 0.9) records.push(offsetTombstone(g, rng.int(0, 3)));
      else records.push(groupTombstone(g));
    }
    const whole = view(replay(records));
    const covered = rng.int(0, records.length);
    const from = rng.int(0, covered);
    const snapshot = replay(records.slice(0, covered));
    assert.deepEqual(view(replay(records.slice(from), snapshot)), whole, `seed ${seed}: snapshot at ${covered}, replay from ${from}`);
  }
});

// The queue checker on small synthetic histories (issue 10: "a checker fed a history with a lost
// write reports it"): one clean history, then one history per anomaly, each named after the
// anomaly it contains, plus the cases that must not be flagged (non-idempotent retry
// duplicates, Raft control batches leaving gaps in the offsets, a consumer resuming past
// records it had already read).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkQueue, hasAnomalies, summaryLine, type AnomalyKind, type QueueReport } from './checker.ts';
import { HistoryRecorder, type FinalPartition, type PolledRecord } from './history.ts';

/** A history builder: ack(value, partition, offset) and friends, in order. */
function history() {
  const h = new HistoryRecorder(1_000);
  const api = {
    h,
    ack(value: string, partition: number, offset: number, idempotent = true) {
      h.send({ producer: 'p1', idempotent, partition, value, acked: true, offset, error: null });
      return api;
    },
    fail(value: string, partition: number, idempotent = true) {
      h.send({ producer: 'p1', idempotent, partition, value, acked: false, offset: null, error: 'REQUEST_TIMED_OUT' });
      return api;
    },
    poll(consumer: string, session: string, partition: number, records: Array<[number, string]>) {
      h.poll({ consumer, session, partition, records: records.map(([offset, value]) => ({ offset, value })) });
      return api;
    },
    commit(partition: number, offset: number) {
      h.commit({ consumer: 'c1', partition, offset });
      return api;
    },
  };
  return api;
}

function final(partition: number, records: Array<[number, string]>): FinalPartition {
  return { partition, records: records.map(([offset, value]): PolledRecord => ({ offset, value })) };
}

function kinds(r: QueueReport): AnomalyKind[] {
  return [...new Set(r.anomalies.map((a) => a.kind))].sort();
}

test('no anomaly: every acknowledged record stored once where acknowledged, polled in order, committed', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1).ack('c', 1, 0).fail('d', 1);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [1, 'b'],
  ])
    .commit(0, 2)
    .poll('c2', 's1', 1, [[0, 'c']])
    .commit(1, 1);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
    final(1, [[0, 'c']]),
  ]);
  assert.deepEqual(r.anomalies, []);
  assert.equal(hasAnomalies(r), false);
  assert.equal(r.ops, 4);
  assert.equal(r.acked, 3);
  assert.equal(summaryLine(7, r), 'chaos: seed=7 ops=4 acked=3 lost=0 duplicated=0 mismatched=0 nonmonotonic=0 unseen=0');
});

test('lost write: an acknowledged record missing from the final read', () => {
  const b = history()
    .ack('a', 0, 0)
    .ack('b', 0, 1)
    .poll('c1', 's1', 0, [
      [0, 'a'],
      [1, 'b'],
    ]);
  const r = checkQueue(b.h.snapshot(), [final(0, [[0, 'a']])]);
  assert.equal(r.lost, 1);
  assert.ok(kinds(r).includes('lost'));
  assert.equal(r.anomalies.find((a) => a.kind === 'lost')!.value, 'b');
  assert.equal(hasAnomalies(r), true);
});

test('duplicate: an idempotent send stored at two offsets', () => {
  const b = history()
    .ack('a', 0, 0)
    .poll('c1', 's1', 0, [
      [0, 'a'],
      [1, 'a'],
    ]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'a'],
    ]),
  ]);
  assert.equal(r.duplicated, 1);
  assert.deepEqual(kinds(r), ['duplicate']);
});

test('not an anomaly: a non-idempotent send written twice by a retry is counted apart', () => {
  const b = history()
    .ack('a', 0, 0, false)
    .poll('c1', 's1', 0, [
      [0, 'a'],
      [1, 'a'],
    ]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'a'],
    ]),
  ]);
  assert.equal(r.duplicated, 0);
  assert.equal(r.retryDuplicates, 1);
  assert.deepEqual(r.anomalies, []);
});

test('offset holding two values: two polls of one offset disagree', () => {
  const b = history().ack('a', 0, 0).fail('x', 0).ack('b', 0, 1);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [1, 'x'],
  ]).poll('c2', 's1', 0, [[1, 'b']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
  ]);
  assert.equal(r.mismatched, 1, 'offset 1 counted once although both the later poll and the final read disagree');
  assert.deepEqual(kinds(r), ['offset-two-values']);
});

test('offset holding two values: a consumer read a record the final log replaced (read above the commit)', () => {
  const b = history()
    .fail('x', 0)
    .ack('b', 0, 0)
    .poll('c1', 's1', 0, [[0, 'x']])
    .poll('c1', 's2', 0, [[0, 'b']]);
  const r = checkQueue(b.h.snapshot(), [final(0, [[0, 'b']])]);
  assert.ok(kinds(r).includes('offset-two-values'));
  assert.ok(r.mismatched >= 1);
});

test('wrong offset: a record stored (and read) at another offset than its acknowledgement named', () => {
  const b = history()
    .ack('a', 0, 0)
    .ack('b', 0, 5)
    .poll('c1', 's1', 0, [
      [0, 'a'],
      [1, 'b'],
    ]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
  ]);
  assert.deepEqual(kinds(r), ['wrong-offset']);
  assert.equal(r.mismatched, 1);
});

test('phantom: the log holds a record nobody sent', () => {
  const b = history()
    .ack('a', 0, 0)
    .poll('c1', 's1', 0, [[0, 'a']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'garbage'],
    ]),
  ]);
  assert.deepEqual(kinds(r), ['phantom']);
  assert.equal(r.mismatched, 1);
});

test('non-monotonic poll: offsets go back within one consumer session', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [1, 'b'],
  ]).poll('c1', 's1', 0, [[0, 'a']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
  ]);
  assert.deepEqual(kinds(r), ['nonmonotonic']);
  assert.equal(r.nonmonotonic, 1);
});

test('not an anomaly: a new session (after a rebalance) re-reads from the committed offset', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [1, 'b'],
  ])
    .commit(0, 1)
    .poll('c2', 's1', 0, [[1, 'b']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
  ]);
  assert.deepEqual(r.anomalies, []);
});

test('skipping poll: a session jumps over an offset that exists', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1).ack('c', 0, 2);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [2, 'c'],
  ]).poll('c2', 's1', 0, [[1, 'b']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]),
  ]);
  assert.deepEqual(kinds(r), ['skip']);
  assert.equal(r.nonmonotonic, 1);
});

test('not an anomaly: gaps where Raft control batches took offsets are no skip', () => {
  // Offsets 1 and 2 hold control batches (leader changes): the final read has no record there.
  const b = history().ack('a', 0, 0).ack('b', 0, 3);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [3, 'b'],
  ]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [3, 'b'],
    ]),
  ]);
  assert.deepEqual(r.anomalies, []);
});

test('skipping poll: a new session starts past the commit over records nobody read', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1).ack('c', 0, 2);
  b.poll('c1', 's1', 0, [[0, 'a']])
    .commit(0, 1)
    .poll('c2', 's1', 0, [[2, 'c']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]),
  ]);
  assert.ok(kinds(r).includes('skip'));
  assert.ok(kinds(r).includes('unseen'), 'and b was never seen');
});

test('not an anomaly: a session resuming past records an earlier session already read', () => {
  const b = history().ack('a', 0, 0).ack('b', 0, 1).ack('c', 0, 2);
  b.poll('c1', 's1', 0, [
    [0, 'a'],
    [1, 'b'],
  ]).poll('c1', 's2', 0, [[2, 'c']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]),
  ]);
  assert.deepEqual(r.anomalies, []);
});

test('unseen: an acknowledged record that no consumer ever polled', () => {
  const b = history()
    .ack('a', 0, 0)
    .ack('b', 0, 1)
    .poll('c1', 's1', 0, [[0, 'a']]);
  const r = checkQueue(b.h.snapshot(), [
    final(0, [
      [0, 'a'],
      [1, 'b'],
    ]),
  ]);
  assert.deepEqual(kinds(r), ['unseen']);
  assert.equal(r.unseen, 1);
});

test('not an anomaly: a failed send that was written anyway', () => {
  const b = history()
    .fail('a', 0)
    .poll('c1', 's1', 0, [[0, 'a']]);
  const r = checkQueue(b.h.snapshot(), [final(0, [[0, 'a']])]);
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.unackedWritten, 1);
});

test('a history that reuses a value cannot be judged and says so', () => {
  const b = history().ack('a', 0, 0).ack('a', 0, 1);
  assert.throws(
    () =>
      checkQueue(b.h.snapshot(), [
        final(0, [
          [0, 'a'],
          [1, 'a'],
        ]),
      ]),
    /twice/,
  );
});

test('the recorder is bounded and counts what it dropped', () => {
  const h = new HistoryRecorder(2);
  for (let i = 0; i < 5; i++) h.commit({ consumer: 'c', partition: 0, offset: i });
  assert.equal(h.snapshot().length, 2);
  assert.equal(h.nearlyFull, true);
  assert.equal(h.droppedCount, 3);
});

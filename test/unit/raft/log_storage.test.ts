import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/index.ts';
import { RaftLog } from '../../../src/raft/log.ts';
import { Inflights } from '../../../src/raft/progress.ts';

function ents(from: number, terms: number[]): Entry[] {
  return terms.map((term, k) => ({ index: from + k, term, type: 'normal' as const, data: new Uint8Array(4) }));
}

test('MemoryStorage: an append at an existing index replaces that entry and the rest of the log', () => {
  const s = new MemoryStorage('s');
  s.append(ents(1, [1, 1, 2, 2]));
  s.append(ents(3, [3]));
  assert.equal(s.lastIndex(), 3);
  assert.equal(s.term(3), 3);
});

test('MemoryStorage: compaction keeps the snapshot boundary term and never passes the snapshot', () => {
  const s = new MemoryStorage('s');
  s.append(ents(1, [1, 1, 2, 2, 3]));
  s.createSnapshot(4, { voters: [{ id: 1, storageId: 's' }], learners: [] }, new Uint8Array(0));
  s.compact(3);
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.term(3), 2);
  assert.equal(s.term(2), undefined);
  assert.throws(() => s.compact(5));
});

test('RaftLog: findConflictByTerm returns the last index whose term is <= the given term (fast back-off)', () => {
  const s = new MemoryStorage('s');
  s.append(ents(1, [1, 1, 2, 2, 2, 5, 5]));
  const log = new RaftLog(s);
  assert.deepEqual(log.findConflictByTerm(7, 4), { index: 5, term: 2 });
  assert.deepEqual(log.findConflictByTerm(7, 1), { index: 2, term: 1 });
  assert.deepEqual(log.findConflictByTerm(7, 5), { index: 7, term: 5 });
  assert.deepEqual(log.findConflictByTerm(7, 0), { index: 0, term: 0 });
});

test('RaftLog: appending below the commit index is a broken invariant', () => {
  const s = new MemoryStorage('s');
  s.append(ents(1, [1, 1, 1]));
  const log = new RaftLog(s);
  log.commitTo(2);
  assert.throws(() => log.append(ents(2, [2])));
  log.append(ents(3, [2, 2]));
  assert.equal(log.lastIndex(), 4);
  assert.equal(log.persistedIndex(), 2, 'the replaced entry 3 is no longer durable');
});

test('Inflights: full by count or by bytes; freeing is by acknowledged index', () => {
  const f = new Inflights(3, 100);
  f.add(1, 10);
  f.add(2, 10);
  assert.equal(f.full(), false);
  f.add(5, 90);
  assert.equal(f.full(), true);
  f.freeLE(2);
  assert.equal(f.count, 1);
  assert.equal(f.full(), false);
  f.freeFirstOne();
  assert.equal(f.count, 0);
  assert.equal(f.bytes, 0);
});

test('Rng: the same seed gives the same stream, another seed another', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  assert.deepEqual(
    sa,
    Array.from({ length: 8 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 8 }, () => c.nextU32()),
  );
  for (let i = 0; i < 1000; i++) {
    const v = a.int(3, 7);
    assert.ok(v >= 3 && v < 7);
  }
});

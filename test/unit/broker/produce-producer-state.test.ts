// The Produce handler while a partition's producer state still loads after a restart (issue 9,
// producer state): an idempotent batch waits for the state (bounded) and then gets the answer
// KIP-98 gives, a retry its original offset; past the bound it gets NOT_LEADER_OR_FOLLOWER,
// which clients retry. The loading of a partition a producer waits for goes first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { produceHandler } from '../../../src/broker/handlers/produce.ts';
import { allowEverything } from '../../../src/broker/authorizer.ts';
import type { BrokerServices } from '../../../src/broker/services.ts';
import type { RequestContext } from '../../../src/broker/handler.ts';
import { plaintextSession } from '../../../src/security/session.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { Partition } from '../../../src/partition/partition.ts';
import { LoadQueue, type LoadJob } from '../../../src/partition/load-queue.ts';

const idempotent = (baseSequence: number) =>
  buildRecordBatch({ records: [{ value: `s${baseSequence}`, timestamp: 1_000 + baseSequence }], producerId: 42, producerEpoch: 0, baseSequence });

function servicesFor(partitions: Partition[], producerStateWaitMsMax: number): BrokerServices {
  return {
    controller: {
      state: { topic: () => ({ name: 't', partitionCount: partitions.length, configs: {} }), dynamicBrokerConfigs: () => ({ node: {}, cluster: {} }) },
    },
    replicas: { partition: (_topic: string, index: number) => partitions[index], leaderEpoch: () => 0 },
    limits: { batchBytesMax: 1 << 20, producerStateWaitMsMax },
    topicDefaults: { retentionMs: -1, retentionBytes: -1, segmentBytes: 1 << 20, maxMessageBytes: 1 << 20 },
    logger: pino({ level: 'silent' }),
    authorizer: allowEverything,
  } as unknown as BrokerServices;
}

const context = {
  apiVersion: 7,
  correlationId: 1,
  clientId: 'test',
  connectionId: 1,
  remoteAddress: '127.0.0.1',
  session: plaintextSession('127.0.0.1'),
  signal: new AbortController().signal,
} as RequestContext;

function produceRequest(index: number, records: Buffer) {
  return { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 't', partitionData: [{ index, records }] }] };
}

/** A log with the producer's first two batches, and a partition on it whose load runs only when released. */
function loadingPartition(queue: LoadQueue): { partition: Partition; offsets: number[] } {
  const log = new MemoryLog();
  const writer = new Partition('t', 0, log, 'none');
  log.append(buildRecordBatch({ records: [{ value: 'before' }] }), 0);
  const offsets = [idempotent(0), idempotent(1)].map((b) => writer.append([b], 0).baseOffset);
  return { partition: new Partition('t', 0, log, 'none', { loadQueue: queue }), offsets };
}

test('issue 9 producer state: an idempotent Produce that arrives while the state loads waits for it, then a retry gets its original offset', async () => {
  const turns: Array<() => void> = [];
  const queue = new LoadQueue({ schedule: (run) => turns.push(run) });
  const { partition, offsets } = loadingPartition(queue);
  assert.notEqual(partition.producerState.loading, null);
  const handler = produceHandler(servicesFor([partition], 5_000));
  let answered = false;
  const pending = Promise.resolve(handler.handle(produceRequest(0, idempotent(1)), context)).then((r) => {
    answered = true;
    return r as any;
  });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(answered, false, 'it waits for the producer state');
  // Let the load run (every scheduled turn, as setImmediate would).
  while (turns.length > 0) turns.shift()!();
  const response = await pending;
  const p = response.responses[0].partitionResponses[0];
  assert.equal(p.errorCode, ErrorCode.NONE);
  assert.equal(p.baseOffset, offsets[1], 'the retry is answered with the offset of the original batch');
  assert.equal(partition.logEndOffset, offsets[1] + 1, 'nothing was appended');
});

test('issue 9 producer state: past the wait bound an idempotent Produce gets NOT_LEADER_OR_FOLLOWER (retriable); a plain one never waits', async () => {
  const queue = new LoadQueue({ schedule: () => undefined });
  const { partition } = loadingPartition(queue);
  const handler = produceHandler(servicesFor([partition], 20));
  const idem = (await handler.handle(produceRequest(0, idempotent(2)), context)) as any;
  assert.equal(idem.responses[0].partitionResponses[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.match(idem.responses[0].partitionResponses[0].errorMessage, /still loading/);
  const plain = (await handler.handle(produceRequest(0, buildRecordBatch({ records: [{ value: 'plain' }] })), context)) as any;
  assert.equal(plain.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
});

/** Jobs of `steps` steps of one byte each (none at the first, empty step); each finished one is named in `done`. */
function steppedJob(done: string[]): (name: string, steps: number) => LoadJob {
  return (name, steps) => ({
    step: (budget) => {
      if (budget === 0) return { bytes: 0, done: false };
      if (--steps > 0) return { bytes: 1, done: false };
      done.push(name);
      return { bytes: 1, done: true };
    },
  });
}

test('issue 9 producer state: the load of a partition a producer waits for moves to the front of the queue', async () => {
  const turns: Array<() => void> = [];
  const queue = new LoadQueue({ chunkBytes: 1, schedule: (run) => turns.push(run) });
  const done: string[] = [];
  const job = steppedJob(done);
  const a = job('a', 3);
  const b = job('b', 3);
  queue.add(a);
  queue.add(b);
  turns.shift()!();
  queue.promote(b);
  while (turns.length > 0) turns.shift()!();
  assert.deepEqual(done, ['b', 'a']);
  assert.equal(queue.pending, 0);
});

test('issue 9 restart: a held queue (partitions opening at start) runs only the loads a producer waits for, the rest after release', async () => {
  const turns: Array<() => void> = [];
  const queue = new LoadQueue({ chunkBytes: 1, schedule: (run) => turns.push(run) });
  const done: string[] = [];
  const job = steppedJob(done);
  const release = queue.hold();
  const a = job('a', 2);
  const b = job('b', 2);
  queue.add(a);
  queue.add(b);
  assert.equal(turns.length, 0, 'held: no turn is scheduled');
  queue.promote(b);
  // Bounded: each turn does one step of budget 1.
  for (let i = 0; i < 10 && turns.length > 0; i++) turns.shift()!();
  assert.deepEqual(done, ['b'], 'the awaited load ran while held');
  release();
  release();
  for (let i = 0; i < 10 && turns.length > 0; i++) turns.shift()!();
  assert.deepEqual(done, ['b', 'a']);
  assert.equal(queue.pending, 0);
});

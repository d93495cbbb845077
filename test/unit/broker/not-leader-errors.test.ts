// A partition this broker does not serve (it follows, or it was just elected and does not know
// its high watermark yet) is answered NOT_LEADER_OR_FOLLOWER, which every client retries after
// refreshing metadata; UNKNOWN_TOPIC_OR_PARTITION is for a partition that does not exist
// (Kafka's ReplicaManager: NotLeaderOrFollowerException vs UnknownTopicOrPartitionException).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { listOffsetsHandler, LATEST_TIMESTAMP } from '../../../src/broker/handlers/list-offsets.ts';
import { deleteRecordsHandler } from '../../../src/broker/handlers/delete-records.ts';
import { allowEverything } from '../../../src/broker/authorizer.ts';
import type { BrokerServices } from '../../../src/broker/services.ts';
import type { RequestContext } from '../../../src/broker/handler.ts';
import { plaintextSession } from '../../../src/security/session.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

/** A broker that knows topic `t` with two partitions and serves none of them. */
const services = {
  controller: { state: { topic: (name: string) => (name === 't' ? { name: 't', partitionCount: 2, configs: {} } : undefined) } },
  replicas: { partition: () => undefined, leaderEpoch: () => -1 },
  limits: { uncompressedBatchBytesMax: 1 << 20 },
  logger: pino({ level: 'silent' }),
  authorizer: allowEverything,
} as unknown as BrokerServices;

const context = (apiVersion: number) =>
  ({
    apiVersion,
    correlationId: 1,
    clientId: 'test',
    connectionId: 1,
    remoteAddress: '127.0.0.1',
    session: plaintextSession('127.0.0.1'),
    signal: new AbortController().signal,
  }) as RequestContext;

test('ListOffsets: a known partition led elsewhere answers NOT_LEADER_OR_FOLLOWER; an unknown one UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const request = {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      {
        name: 't',
        partitions: [
          { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 },
          { partitionIndex: 7, currentLeaderEpoch: -1, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 },
        ],
      },
      { name: 'nope', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 }] },
    ],
  };
  const response = (await listOffsetsHandler(services).handle(request, context(4))) as any;
  const codes = response.topics.flatMap((t: any) => t.partitions.map((p: any) => `${t.name}-${p.partitionIndex}:${p.errorCode}`));
  assert.deepEqual(codes, [
    `t-1:${ErrorCode.NOT_LEADER_OR_FOLLOWER}`,
    `t-7:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
    `nope-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
  ]);
});

test('DeleteRecords: a known partition led elsewhere answers NOT_LEADER_OR_FOLLOWER', async () => {
  const request = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 5 }] }], timeoutMs: 1000 };
  const response = (await deleteRecordsHandler(services).handle(request, context(1))) as any;
  assert.equal(response.topics[0].partitions[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
});

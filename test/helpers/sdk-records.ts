// Writes records for SDK consumer tests through a Cluster with a plain Produce request (the SDK's
// producer is tested on its own), and creates topics.
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/client/cluster.ts';
import { ConnectionError } from '../../src/client/connection.ts';
import { KafkaError } from '../../src/client/errors.ts';
import { createTopics, produce } from '../../src/protocol/apis/index.ts';
import { buildRecordBatch, type CompressionName, type RecordInput } from '../../src/protocol/record-batch.ts';

export async function createTopic(cluster: Cluster, name: string, partitions: number, replicationFactor = 1): Promise<void> {
  const answer = await cluster.request('any', createTopics, {
    topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: [] }],
    timeoutMs: 10_000,
  });
  assert.equal(answer.topics[0]!.errorCode, 0, `create topic ${name}`);
}

/** Appends one batch to a partition at its leader (acks=all), retrying while the leader moves; returns the base offset. A retry after a lost answer may write the batch twice: tests that count records write before a failover only. */
export async function produceTo(
  cluster: Cluster,
  topic: string,
  partition: number,
  records: RecordInput[],
  compression: CompressionName = 'none',
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    // A leader that died (connection refused or cut) or moved (an error code) is asked for again.
    let failure: string;
    try {
      const leader = await cluster.leaderFor(topic, partition);
      const answer = await cluster.request(leader, produce, {
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records: buildRecordBatch({ records, compression }) }] }],
      });
      const p = answer.responses[0]!.partitionResponses[0]!;
      if (p.errorCode === 0) return p.baseOffset;
      failure = `error ${p.errorCode}`;
    } catch (err) {
      if (!(err instanceof ConnectionError) && !(err instanceof KafkaError && err.retriable)) throw err;
      failure = err.message;
    }
    cluster.invalidate(topic);
    if (attempt >= 100) assert.fail(`produce to ${topic}/${partition}: ${failure}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Clients for cluster-mode tests: a KafkaJS client bootstrapped with every broker of a
// TestCluster, topic creation with replication factor 3, and a read-back of a whole partition from its current leader that retries while
// leadership moves.

import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { TestCluster } from './cluster.ts';
import { RawRecordReader, type DecodedRecord } from './read-back.ts';

/**
 * KafkaJS with short connection timeouts and generous retries (a killed broker refuses
 * connections until the others elect new leaders). With `log`, KafkaJS's INFO log lines are
 * pushed there (the caller bounds it); otherwise KafkaJS logs nothing.
 */
export function kafkaFor(cluster: TestCluster, clientId = 'runnel-cluster-test', log?: string[]): Kafka {
  return new Kafka({
    clientId,
    brokers: cluster.members.map((m) => m.broker.bootstrap),
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: log ? logLevel.INFO : logLevel.NOTHING,
    ...(log && {
      logCreator: () => (entry: { label: string; namespace: string; log: unknown }) => {
        log.push(`${entry.label} ${entry.namespace} ${JSON.stringify(entry.log)}`);
        if (log.length > 400) log.shift();
      },
    }),
  });
}

/** Creates a topic with replication factor 3 and waits for its partitions' leaders. */
export async function createTopic(cluster: TestCluster, topic: string, partitions = 1): Promise<void> {
  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Every record in the partition, read from its current leader (retried while leadership moves). */
export async function readAllRecords(cluster: TestCluster, topic: string, partition = 0): Promise<DecodedRecord[]> {
  let lastError: unknown;
  // Bounded: leadership settles within a few election timeouts after a restart.
  for (let attempt = 0; attempt < 40; attempt++) {
    const leader = await cluster.leaderOf(`${topic}-${partition}`);
    if (leader > 0) {
      const reader = await RawRecordReader.connect(cluster.member(leader).broker.port);
      try {
        return await reader.read(topic, partition);
      } catch (err) {
        lastError = err;
      } finally {
        await reader.close();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${topic}-${partition} could not be read from its leader: ${String(lastError)}`);
}

/** Every value in the partition, as strings, from its current leader. */
export async function readAll(cluster: TestCluster, topic: string, partition = 0): Promise<string[]> {
  return (await readAllRecords(cluster, topic, partition)).map((r) => r.value!.toString());
}

/** Produces `total` numbered records in batches of `batch`, one request at a time; returns the acknowledged values. */
export async function produceNumbered(producer: Producer, topic: string, total: number, batch: number, onProgress?: (acked: number) => void): Promise<string[]> {
  const acked: string[] = [];
  // Bounded by the record count; each send has the client's own retries and timeout.
  for (let n = 0; n < total; n += batch) {
    const values = Array.from({ length: Math.min(batch, total - n) }, (_, i) => `v-${n + i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    acked.push(...values);
    onProgress?.(acked.length);
  }
  return acked;
}

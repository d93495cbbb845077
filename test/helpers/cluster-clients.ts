// Clients for cluster-mode tests: a KafkaJS client bootstrapped with every broker of a
// TestCluster, topic creation with replication factor 3, and a read-back of a whole partition from its current leader that retries while
// leadership moves.

import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startCluster, type TestCluster } from './cluster.ts';
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

/**
 * Produces `total` numbered records in batches of `batch`, one request at a time, batch k to
 * partition k % `partitions`; returns the acknowledged values. A batch counts as acknowledged
 * only when the answer names its partition: KafkaJS resolves send() without sending the
 * messages of a partition its metadata does not list, so an answer without it is sent again
 * (bounded; the idempotent producer keeps a resend from writing twice).
 */
export async function produceNumbered(
  producer: Producer,
  topic: string,
  total: number,
  batch: number,
  onProgress?: (acked: number) => void,
  partitions = 1,
): Promise<string[]> {
  const acked: string[] = [];
  // Bounded by the record count and the resends; each send has the client's own retries and timeout.
  for (let n = 0, k = 0; n < total; n += batch, k++) {
    const partition = k % partitions;
    const values = Array.from({ length: Math.min(batch, total - n) }, (_, i) => `v-${n + i}`);
    let answered = false;
    for (let attempt = 0; attempt < 20 && !answered; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100));
      const answers = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition })) });
      answered = answers.some((a) => a.partition === partition && a.errorCode === 0);
    }
    if (!answered) throw new Error(`${topic}-${partition}: 20 sends of records from v-${n} were answered without the partition`);
    acked.push(...values);
    onProgress?.(acked.length);
  }
  return acked;
}

/**
 * Starts a cluster of `size` brokers and runs `body` with a connected KafkaJS admin and an
 * idempotent producer (not connected yet); stops the clients and the cluster whatever happens.
 */
export async function withClusterClients(size: number, body: (cluster: TestCluster, admin: Admin, producer: Producer) => Promise<void>): Promise<void> {
  const cluster = await startCluster({ size });
  const kafka = kafkaFor(cluster);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await body(cluster, admin, producer);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
}

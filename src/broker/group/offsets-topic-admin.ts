// Creates __consumer_offsets the first time a client looks for a coordinator, as Kafka does, so a
// broker that never sees a consumer group carries no internal partitions.

import { randomUUID } from 'node:crypto';
import type { TopicRecord } from '../../metadata/metadata-state.ts';
import type { BrokerServices } from '../services.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS_DEFAULT, OFFSETS_TOPIC_SEGMENT_BYTES } from './offsets-topic.ts';

/** One creation at a time per broker: concurrent FindCoordinators wait for the same one. */
const creating = new WeakMap<BrokerServices, Promise<void>>();

/** Resolves once __consumer_offsets exists and its local partitions are loaded. */
export function ensureOffsetsTopic(services: BrokerServices): Promise<void> {
  if (services.controller.state.topic(OFFSETS_TOPIC)) return Promise.resolve();
  let pending = creating.get(services);
  if (!pending) {
    pending = create(services).finally(() => creating.delete(services));
    creating.set(services, pending);
  }
  return pending;
}

async function create(services: BrokerServices): Promise<void> {
  const brokers = services.controller.state.allBrokers().map((b) => b.nodeId);
  if (brokers.length === 0) throw new Error('no broker is registered yet');
  const replicationFactor = Math.max(1, Math.min(services.defaultReplicationFactor, brokers.length));
  const assignments: number[][] = [];
  for (let p = 0; p < OFFSETS_TOPIC_PARTITIONS_DEFAULT; p++) {
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(brokers[(p + r) % brokers.length]);
    assignments.push(replicas);
  }
  const topic: TopicRecord = {
    name: OFFSETS_TOPIC,
    topicId: randomUUID().replace(/-/g, ''),
    partitionCount: OFFSETS_TOPIC_PARTITIONS_DEFAULT,
    replicationFactor,
    // Kafka compacts this topic; we bound it with snapshots instead (docs/consumer-groups.md). Time
    // and size retention must never delete records a snapshot does not cover, so both are off, and
    // small segments let the covered head be deleted soon after each snapshot.
    configs: { 'retention.ms': '-1', 'retention.bytes': '-1', 'segment.bytes': String(OFFSETS_TOPIC_SEGMENT_BYTES) },
    assignments,
    createdAtMs: Date.now(),
  };
  const result = await services.controller.propose({ type: 'createTopic', topic });
  if (!result.ok && result.error !== 'TOPIC_ALREADY_EXISTS') throw new Error(`creating ${OFFSETS_TOPIC}: ${result.message}`);
  services.logger.info({ topic: OFFSETS_TOPIC, partitions: OFFSETS_TOPIC_PARTITIONS_DEFAULT }, 'created the internal offsets topic');
  services.groups.loadAll();
}

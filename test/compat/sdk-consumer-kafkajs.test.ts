// issue 13: a consumer of ours and a KafkaJS 2.2.4 consumer in one group, both offering Kafka's
// "range" protocol (KafkaJS has no range assignor of its own: it gets one here, written to
// Kafka's rule, through its custom-assigner interface). Each order is run, so once our consumer
// is the leader (KafkaJS reads our ConsumerProtocolAssignment) and once KafkaJS is (we read its).
// Every record is processed once, by both members together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol, Kafka, logLevel, type PartitionAssigner } from 'kafkajs';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

let kafka: Kafka;
const sdk = useSdkBroker({
  onStart: () => {
    kafka = new Kafka({
      clientId: 'sdk-compat',
      brokers: [sdk.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
  },
});

/** Kafka's RangeAssignor for KafkaJS: per topic, members sorted by id get consecutive ranges. */
const kafkajsRange: PartitionAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  protocol: ({ topics }) => ({ name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
  async assign({ members, topics }) {
    const plan = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
    for (const topic of topics) {
      const count = cluster.findTopicPartitionMetadata(topic).length;
      const ids = members.map((m) => m.memberId).sort();
      const per = Math.floor(count / ids.length);
      const extra = count % ids.length;
      ids.forEach((id, i) => {
        const start = per * i + Math.min(i, extra);
        plan.get(id)![topic] = Array.from({ length: per + (i < extra ? 1 : 0) }, (_, k) => start + k);
      });
    }
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
});

for (const first of ['ours', 'kafkajs'] as const) {
  test(`our consumer and a KafkaJS consumer share a topic with "range" (${first} joins first, so leads)`, async (t) => {
    const topic = `compat-${first}`;
    const groupId = `compat-group-${first}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    await admin.disconnect();

    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    const note = (who: string, partition: number, offset: string | number) => {
      const id = `${partition}/${offset}`;
      if (seen.has(id)) duplicates.push(`${id} by ${who} after ${seen.get(id)}`);
      seen.set(id, who);
    };

    const ours = new Consumer({
      bootstrap: [sdk.bootstrap],
      groupId,
      assignors: ['range'],
      autoOffsetReset: 'earliest',
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 10_000,
      onError: () => {},
    });
    const theirs = kafka.consumer({
      groupId,
      partitionAssigners: [kafkajsRange],
      heartbeatInterval: 300,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 300,
    });
    t.after(async () => {
      await theirs.disconnect().catch(() => {});
      await ours.close();
    });
    let theirPartitions: number[] = [];
    let theyLead = false;
    theirs.on(theirs.events.GROUP_JOIN, (e) => {
      theirPartitions = (e.payload.memberAssignment[topic] ?? []) as number[];
      theyLead = e.payload.isLeader;
    });
    const startOurs = () => {
      ours.subscribe([topic]);
      void ours.run((r) => note('ours', r.partition, r.offset)).catch(() => {});
    };
    const startTheirs = async () => {
      await theirs.connect();
      await theirs.subscribe({ topic, fromBeginning: true });
      await theirs.run({ eachMessage: async ({ partition, message }) => note('kafkajs', partition, message.offset) });
    };
    if (first === 'ours') {
      startOurs();
      await waitFor(() => ours.assignment().length === 4, 'ours alone has all four', 20_000, 20);
      await startTheirs();
    } else {
      await startTheirs();
      await waitFor(() => theirPartitions.length === 4, 'KafkaJS alone has all four', 20_000, 20);
      startOurs();
    }
    await waitFor(() => ours.assignment().length === 2 && theirPartitions.length === 2, 'two partitions each', 30_000, 20);
    assert.equal(theyLead, first === 'kafkajs', 'the member that joined first leads, so computes the assignment');
    const ourPartitions = ours.assignment().map((p) => p.partition);
    assert.deepEqual([...ourPartitions, ...theirPartitions].sort(), [0, 1, 2, 3], 'range splits the four partitions between the two');

    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 4; p++) await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: p, value: `p${p}-${i}` })) });
    await producer.disconnect();
    await waitFor(() => seen.size === 12, 'all 12 records processed', 20_000, 20);
    assert.deepEqual(duplicates, []);
    for (const [id, who] of seen) {
      const partition = Number(id.split('/')[0]);
      assert.equal(who, ourPartitions.includes(partition) ? 'ours' : 'kafkajs', `record ${id} went to the member assigned its partition`);
    }
  });
}

// issue 13, SDK routing (src/client/cluster.ts) against scripted brokers on 127.0.0.1:
// bootstrap from any of several addresses, version negotiation per connection, the metadata
// cache and its max age, leader lookup and leader changes, reconnect with exponential
// backoff, and the group coordinator lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Cluster, type ClusterOptions } from '../../../src/client/cluster.ts';
import { ConnectionError } from '../../../src/client/connection.ts';
import { KafkaError } from '../../../src/client/errors.ts';
import { backoffMs, resolveLimits } from '../../../src/client/limits.ts';
import { ApiKey, apiVersions, describeCluster, findCoordinator, metadata } from '../../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { FakeKafkaBroker } from '../../helpers/fake-kafka-broker.ts';

interface TopicState {
  name: string;
  /** Leader node id per partition (-1: none). */
  leaders: number[];
}

/** Answers Metadata with `brokers` (node id → fake) and the topics in `state` (or UNKNOWN_TOPIC_OR_PARTITION). */
function metadataHandler(brokers: () => Map<number, FakeKafkaBroker>, state: TopicState[]) {
  return (body: any) => {
    const asked: string[] = body.topics === null ? state.map((t) => t.name) : body.topics.map((t: { name: string }) => t.name);
    return {
      brokers: [...brokers()].map(([nodeId, b]) => ({ nodeId, host: '127.0.0.1', port: b.port })),
      clusterId: 'fake',
      controllerId: 1,
      topics: asked.map((name) => {
        const t = state.find((x) => x.name === name);
        if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        return {
          errorCode: 0,
          name,
          partitions: t.leaders.map((leaderId, partitionIndex) => ({
            errorCode: leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
            partitionIndex,
            leaderId,
            leaderEpoch: 0,
            replicaNodes: [1, 2],
            isrNodes: [1, 2],
          })),
        };
      }),
    };
  };
}

/** One fake broker (node 1) answering Metadata from `state`. */
async function oneBroker(t: { after(fn: () => Promise<void> | void): void }, state: TopicState[], options = {}) {
  const nodes = new Map<number, FakeKafkaBroker>();
  const broker = await FakeKafkaBroker.start({ [ApiKey.Metadata]: metadataHandler(() => nodes, state) }, options);
  nodes.set(1, broker);
  t.after(() => broker.close());
  return { broker, nodes };
}

function cluster(t: { after(fn: () => Promise<void> | void): void }, options: ClusterOptions): Cluster {
  const c = new Cluster(options);
  t.after(() => c.close());
  return c;
}

/** A fake clock whose sleep records each wait and moves the clock on at once. */
function fakeClock() {
  const clock = { nowMs: 1_000_000, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.nowMs,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.nowMs += ms;
    },
  };
}

/** An address where nothing listens. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

test('bootstrap skips addresses where no broker answers and uses the first that does', async (t) => {
  const { broker } = await oneBroker(t, [{ name: 'orders', leaders: [1] }]);
  const c = cluster(t, { bootstrap: [await deadAddress(), await deadAddress(), broker.address] });
  const meta = await c.metadata(['orders']);
  assert.deepEqual(meta.brokers, [{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
  assert.equal(meta.topics[0]!.partitions[0]!.leader, 1);
});

test('bootstrap with no live broker rejects with a ConnectionError naming every address', async (t) => {
  const dead = [await deadAddress(), await deadAddress()];
  const c = cluster(t, { bootstrap: dead });
  await assert.rejects(c.metadata(), (e: unknown) => e instanceof ConnectionError && dead.every((a) => e.message.includes(a)));
});

test('versions are negotiated once per connection: each request goes at the highest version both sides speak', async (t) => {
  const { broker } = await oneBroker(t, [{ name: 'orders', leaders: [1] }], { maxVersions: { [ApiKey.Metadata]: 9 } });
  const c = cluster(t, { bootstrap: [broker.address] });
  for (let i = 0; i < 3; i++) await c.metadata(['orders'], { refresh: true });
  assert.deepEqual(broker.versionsOf(metadata), [9, 9, 9], 'the broker says 9, our codec speaks 12');
  assert.deepEqual(broker.versionsOf(apiVersions), [3], 'ApiVersions once, at v3 (KIP-511)');
  assert.equal(await c.versionOf(1, findCoordinator), findCoordinator.maxVersion);
});

test('a broker that does not speak ApiVersions v3 is asked again at v0', async (t) => {
  const { broker } = await oneBroker(t, [{ name: 'orders', leaders: [1] }], { apiVersionsV0Only: true });
  const c = cluster(t, { bootstrap: [broker.address] });
  await c.metadata(['orders']);
  assert.deepEqual(broker.versionsOf(apiVersions), [3, 0]);
});

test('an API the broker does not speak rejects with UNSUPPORTED_VERSION, not a garbled request', async (t) => {
  const { broker } = await oneBroker(t, [], { maxVersions: { [ApiKey.DescribeCluster]: -1 } });
  const c = cluster(t, { bootstrap: [broker.address] });
  await assert.rejects(
    c.request('any', describeCluster, {}),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION && /DescribeCluster/.test(e.message),
  );
  assert.deepEqual(broker.versionsOf(describeCluster), [], 'nothing was sent');
});

test('metadata is served from the cache until it is metadataMaxAgeMs old, or refresh is asked', async (t) => {
  const { broker } = await oneBroker(t, [{ name: 'orders', leaders: [1, 1] }]);
  const { clock, now, sleep } = fakeClock();
  const c = cluster(t, { bootstrap: [broker.address], now, sleep, limits: { metadataMaxAgeMs: 10_000 } });
  await c.metadata(['orders']);
  await c.metadata(['orders']);
  assert.equal(await c.leaderFor('orders', 1), 1);
  assert.equal(broker.versionsOf(metadata).length, 1, 'one Metadata request while fresh');
  clock.nowMs += 10_000;
  await c.metadata(['orders']);
  assert.equal(broker.versionsOf(metadata).length, 2, 'asked again once max age is reached');
  await c.metadata(['orders'], { refresh: true });
  assert.equal(broker.versionsOf(metadata).length, 3, 'refresh asks again');
  await c.metadata();
  await c.metadata();
  assert.equal(broker.versionsOf(metadata).length, 4, 'all topics: asked once, then cached');
});

test('a topic that does not exist is reported, never cached', async (t) => {
  const { broker } = await oneBroker(t, []);
  const c = cluster(t, { bootstrap: [broker.address] });
  const meta = await c.metadata(['nope']);
  assert.equal(meta.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await c.metadata(['nope']);
  assert.equal(broker.versionsOf(metadata).length, 2);
  await assert.rejects(c.leaderFor('nope', 0), (e: unknown) => e instanceof KafkaError && e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' && e.retriable);
});

test('leaderFor follows a leader change once the topic is invalidated (after NOT_LEADER_OR_FOLLOWER)', async (t) => {
  const state = [{ name: 'orders', leaders: [1, 2] }];
  const { broker, nodes } = await oneBroker(t, state);
  const c = cluster(t, { bootstrap: [broker.address] });
  nodes.set(2, broker);
  assert.equal(await c.leaderFor('orders', 0), 1);
  state[0]!.leaders = [2, 2];
  assert.equal(await c.leaderFor('orders', 0), 1, 'cached until told it is stale');
  c.invalidate('orders');
  assert.equal(await c.leaderFor('orders', 0), 2);
  assert.equal(broker.versionsOf(metadata).length, 2);
});

test('a partition without a leader is asked about once more, then rejects with a retriable LEADER_NOT_AVAILABLE', async (t) => {
  const state = [{ name: 'orders', leaders: [-1] }];
  const { broker } = await oneBroker(t, state);
  const c = cluster(t, { bootstrap: [broker.address] });
  await c.metadata(['orders']);
  await assert.rejects(c.leaderFor('orders', 0), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.LEADER_NOT_AVAILABLE && e.retriable);
  assert.equal(broker.versionsOf(metadata).length, 2, 'one refresh');
  await assert.rejects(c.leaderFor('orders', 5), /has no partition 5/);
  state[0]!.leaders = [1];
  assert.equal(await c.leaderFor('orders', 0), 1, 'the election ended');
});

test('request(nodeId) goes to the address metadata gives for that node', async (t) => {
  const nodes = new Map<number, FakeKafkaBroker>();
  const state = [{ name: 'orders', leaders: [2] }];
  const one = await FakeKafkaBroker.start({ [ApiKey.Metadata]: metadataHandler(() => nodes, state) });
  const two = await FakeKafkaBroker.start({ [ApiKey.Metadata]: metadataHandler(() => nodes, state) });
  t.after(() => one.close());
  t.after(() => two.close());
  nodes.set(1, one).set(2, two);
  const c = cluster(t, { bootstrap: [one.address] });
  const leader = await c.leaderFor('orders', 0);
  await c.request(leader, apiVersions, {});
  assert.equal(two.versionsOf(apiVersions).length, 2, 'negotiation and the request itself');
  assert.equal(one.versionsOf(apiVersions).length, 1, 'only the bootstrap negotiation');
  await assert.rejects(
    c.request(7, apiVersions, {}),
    (e: unknown) => e instanceof ConnectionError && /broker 7 is not in the cluster's metadata/.test(e.message),
  );
});

test('a dead broker is reconnected to after a backoff that doubles per failure, up to the max, and resets on success', async (t) => {
  const nodes = new Map<number, FakeKafkaBroker>();
  const state = [{ name: 'orders', leaders: [2] }];
  const one = await FakeKafkaBroker.start({ [ApiKey.Metadata]: metadataHandler(() => nodes, state) });
  let two = await FakeKafkaBroker.start({});
  const port = two.port;
  t.after(() => one.close());
  nodes.set(1, one).set(2, two);
  const { clock, now, sleep } = fakeClock();
  const c = cluster(t, { bootstrap: [one.address], now, sleep, limits: { retryBackoffMsMin: 100, retryBackoffMsMax: 350 } });
  await c.request(2, apiVersions, {});
  await two.close();
  await assert.rejects(c.request(2, apiVersions, {}), ConnectionError, 'the open connection broke');
  for (let i = 0; i < 4; i++) await assert.rejects(c.request(2, apiVersions, {}), ConnectionError);
  assert.deepEqual(clock.sleeps, [100, 200, 350], 'no wait before the first reconnect, then 100, 200, 400 capped at 350');
  two = await FakeKafkaBroker.start({}, { port });
  t.after(() => two.close());
  nodes.set(2, two);
  await c.request(2, apiVersions, {});
  assert.equal(clock.sleeps.length, 4, 'waited out the backoff once more, then connected');
  two.dropConnections();
  // The client learns of the cut when the socket closes; until then a request may still fail on it.
  let answered = false;
  for (let i = 0; i < 100 && !answered; i++) {
    answered = await c.request(2, apiVersions, {}).then(
      () => true,
      () => false,
    );
  }
  assert.ok(answered, 'reconnected after the broker cut the connection');
  assert.equal(clock.sleeps.length, 4, 'a connection that worked is reopened without waiting');
});

test('the group coordinator is found with FindCoordinator, cached, and asked again after invalidateCoordinator', async (t) => {
  const nodes = new Map<number, FakeKafkaBroker>();
  const two = await FakeKafkaBroker.start({});
  t.after(() => two.close());
  let errorCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const answer = (body: any, version: number) => {
    const key = version >= 4 ? body.coordinatorKeys[0] : body.key;
    const entry = { key, nodeId: 2, host: '127.0.0.1', port: two.port, errorCode, errorMessage: null };
    return { ...entry, coordinators: [entry] };
  };
  const one = await FakeKafkaBroker.start({ [ApiKey.Metadata]: metadataHandler(() => nodes, []), [ApiKey.FindCoordinator]: answer });
  t.after(() => one.close());
  nodes.set(1, one);
  const c = cluster(t, { bootstrap: [one.address] });
  await assert.rejects(c.coordinator('g'), (e: unknown) => e instanceof KafkaError && e.errorName === 'COORDINATOR_NOT_AVAILABLE' && e.retriable);
  errorCode = ErrorCode.NONE;
  assert.equal(await c.coordinator('g'), 2);
  assert.equal(await c.coordinator('g'), 2);
  assert.equal(one.versionsOf(findCoordinator).length, 2, 'cached after the answer that named it');
  await c.request(2, apiVersions, {});
  assert.equal(two.versionsOf(apiVersions).length, 2, 'node 2 is reached at the address FindCoordinator gave');
  c.invalidateCoordinator('g');
  assert.equal(await c.coordinator('g'), 2);
  assert.equal(one.versionsOf(findCoordinator).length, 3);
});

test('backoff doubles from min and stops at max; limits name the field that is wrong', () => {
  const limits = { retryBackoffMsMin: 100, retryBackoffMsMax: 1_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 100].map((n) => backoffMs(n, limits)),
    [0, 100, 200, 400, 800, 1_000, 1_000],
  );
  assert.throws(() => resolveLimits({ lingerMs: -1 }), /limits.lingerMs must be an integer >= 0, got -1/);
  assert.throws(() => resolveLimits({ requestTimeoutMs: 0 }), /limits.requestTimeoutMs must be an integer >= 1/);
  assert.throws(() => resolveLimits({ inflightBatchesPerPartitionMax: 6 }), /at most 5/);
  assert.throws(() => resolveLimits({ retryBackoffMsMin: 500, retryBackoffMsMax: 100 }), /below/);
  assert.throws(() => new Cluster({ bootstrap: [] }), /at least one broker/);
});

test('callers asking for the same topics at once share one Metadata request', async (t) => {
  const { broker } = await oneBroker(t, [{ name: 'orders', leaders: [1, 1, 1] }]);
  const c = cluster(t, { bootstrap: [broker.address] });
  const leaders = await Promise.all([0, 1, 2, 0, 1, 2].map((p) => c.leaderFor('orders', p)));
  assert.deepEqual(leaders, [1, 1, 1, 1, 1, 1]);
  assert.equal(broker.versionsOf(metadata).length, 1);
});

// issue 15 ACLs: every Kafka API checks the authorizer as Kafka's KafkaApis does, with its error
// codes where each response has them: produce, fetch, group join and commit, topic create and
// delete, and Metadata hiding the topics a principal may not describe. The principals come from
// sessions built here, as SASL or mTLS would set them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ANY_ACL, type AclBinding } from '../../src/security/acl.ts';
import { buildBatch } from '../../bench/lib/record-batch.ts';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';
import { allow, callerOf, sessionOf } from '../helpers/acl-session.ts';

const admin = sessionOf('User:admin');
const alice = sessionOf('User:alice');
const bob = sessionOf('User:bob');

let broker: InProcessBroker;
let call: ReturnType<typeof callerOf>;

async function grant(...bindings: AclBinding[]): Promise<void> {
  const result = await broker.node.services.controller.propose({ type: 'createAcls', bindings });
  assert.deepEqual(result, { ok: true });
}

async function revokeAll(): Promise<void> {
  await broker.node.services.controller.propose({
    type: 'deleteAcls',
    filters: [ANY_ACL],
  });
}

function createTopicsRequest(name: string) {
  return { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5_000, validateOnly: false };
}

function produceRequest(topic: string) {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatch([{ key: null, value: Buffer.from('v') }]) }] }],
  };
}

function fetchRequest(topic: string) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: Buffer.alloc(16),
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

function metadataRequest(topics: string[] | null, allowAutoTopicCreation = false) {
  return {
    topics: topics === null ? null : topics.map((name) => ({ topicId: Buffer.alloc(16), name })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

before(async () => {
  broker = await startInProcessBroker('acl-checks', (c) => {
    c.authorizer = { enabled: true, super_users: ['User:admin'] };
    c.groups.initial_rebalance_delay_ms = 0;
  });
  call = callerOf(broker.node.services);
  for (const name of ['orders', 'payments', 'hidden']) {
    const res = await call(admin, ApiKey.CreateTopics, 7, createTopicsRequest(name));
    assert.equal(res.topics[0].errorCode, ErrorCode.NONE, name);
  }
});

after(async () => {
  await broker.close();
});

test('issue 15 ACLs: Produce needs WRITE on the topic (TOPIC_AUTHORIZATION_FAILED per partition); DESCRIBE or READ is not enough', async () => {
  await grant(allow('User:alice', 'READ'), allow('User:bob', 'WRITE'));
  try {
    const denied = await call(alice, ApiKey.Produce, 9, produceRequest('orders'));
    assert.equal(denied.responses[0].partitionResponses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const allowed = await call(bob, ApiKey.Produce, 9, produceRequest('orders'));
    assert.equal(allowed.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    // A super user needs no ACL.
    assert.equal((await call(admin, ApiKey.Produce, 9, produceRequest('payments'))).responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: Fetch needs READ on the topic; ListOffsets DESCRIBE', async () => {
  await grant(allow('User:alice', 'READ'), allow('User:bob', 'WRITE'));
  try {
    const read = await call(alice, ApiKey.Fetch, 12, fetchRequest('orders'));
    assert.equal(read.responses[0].partitions[0].errorCode, ErrorCode.NONE);
    const denied = await call(bob, ApiKey.Fetch, 12, fetchRequest('orders'));
    assert.equal(denied.responses[0].partitions[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(denied.responses[0].partitions[0].records.length, 0);
    const offsets = (session: typeof alice) =>
      call(session, ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
      });
    assert.equal((await offsets(alice)).topics[0].partitions[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    await grant(allow('User:alice', 'DESCRIBE', { resourceName: 'pay', patternType: 'PREFIXED' }));
    assert.equal((await offsets(alice)).topics[0].partitions[0].errorCode, ErrorCode.NONE);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: Metadata leaves out topics the principal may not describe, answers a named one TOPIC_AUTHORIZATION_FAILED, and auto-creates only with CREATE', async () => {
  await grant(allow('User:alice', 'READ'), allow('User:alice', 'WRITE', { resourceName: 'payments' }));
  try {
    const all = await call(alice, ApiKey.Metadata, 12, metadataRequest(null));
    assert.deepEqual(all.topics.map((t: any) => t.name).sort(), ['orders', 'payments']);
    const named = await call(alice, ApiKey.Metadata, 12, metadataRequest(['hidden', 'orders']));
    assert.deepEqual(
      named.topics.map((t: any) => [t.name, t.errorCode]),
      [
        ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
        ['orders', ErrorCode.NONE],
      ],
    );
    // An unknown topic the principal may not describe is not revealed as unknown either.
    const unknown = await call(alice, ApiKey.Metadata, 12, metadataRequest(['nope'], true));
    assert.equal(unknown.topics[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(broker.node.services.controller.state.topic('nope'), undefined);
    // DESCRIBE but no CREATE: not created.
    await grant(allow('User:alice', 'DESCRIBE', { resourceName: 'auto-', patternType: 'PREFIXED' }));
    const noCreate = await call(alice, ApiKey.Metadata, 12, metadataRequest(['auto-1'], true));
    assert.equal(noCreate.topics[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(broker.node.services.controller.state.topic('auto-1'), undefined);
    await grant(allow('User:alice', 'CREATE', { resourceName: 'auto-', patternType: 'PREFIXED' }));
    const created = await call(alice, ApiKey.Metadata, 12, metadataRequest(['auto-1'], true));
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    assert.ok(broker.node.services.controller.state.topic('auto-1'));
    // A principal with no ACL sees no topic at all.
    assert.deepEqual((await call(bob, ApiKey.Metadata, 12, metadataRequest(null))).topics, []);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: CreateTopics needs CREATE on the topic or the cluster; DeleteTopics DELETE on the topic', async () => {
  await grant(
    allow('User:alice', 'CREATE', { resourceName: 'team-a-', patternType: 'PREFIXED' }),
    allow('User:bob', 'CREATE', { resourceType: 'CLUSTER', resourceName: 'kafka-cluster' }),
    allow('User:alice', 'DELETE', { resourceName: 'team-a-1' }),
  );
  try {
    assert.equal((await call(alice, ApiKey.CreateTopics, 7, createTopicsRequest('team-b-1'))).topics[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal((await call(alice, ApiKey.CreateTopics, 7, createTopicsRequest('team-a-1'))).topics[0].errorCode, ErrorCode.NONE);
    assert.equal((await call(bob, ApiKey.CreateTopics, 7, createTopicsRequest('team-b-1'))).topics[0].errorCode, ErrorCode.NONE);
    const del = (session: typeof alice, name: string) => call(session, ApiKey.DeleteTopics, 5, { topicNames: [name], topics: [], timeoutMs: 5_000 });
    assert.equal((await del(alice, 'team-b-1')).responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal((await del(bob, 'team-a-1')).responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal((await del(alice, 'team-a-1')).responses[0].errorCode, ErrorCode.NONE);
    assert.ok(broker.node.services.controller.state.topic('team-b-1'));
    assert.equal(broker.node.services.controller.state.topic('team-a-1'), undefined);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: JoinGroup needs READ on the group (GROUP_AUTHORIZATION_FAILED); OffsetCommit READ on the group and on each topic', async () => {
  await grant(
    allow('User:alice', 'READ', { resourceType: 'GROUP', resourceName: 'app-', patternType: 'PREFIXED' }),
    allow('User:alice', 'READ', { resourceName: 'orders' }),
  );
  try {
    const join = (session: typeof alice, groupId: string) =>
      call(session, ApiKey.JoinGroup, 5, {
        groupId,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: 'static-1',
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        reason: null,
      });
    // The offsets topic and its coordinator first (FindCoordinator creates it), as a client does.
    const find = (session: typeof alice, key: string) => call(session, ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [key] });
    for (let i = 0; i < 50 && (await find(admin, 'app-1')).coordinators[0].errorCode !== ErrorCode.NONE; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await join(bob, 'app-1')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.equal((await join(alice, 'other')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const joined = await join(alice, 'app-1');
    assert.equal(joined.errorCode, ErrorCode.NONE);

    const commit = (session: typeof alice, groupId: string) =>
      call(session, ApiKey.OffsetCommit, 7, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: ['orders', 'payments'].map((name) => ({
          name,
          partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
        })),
      });
    const denied = await commit(bob, 'app-2');
    assert.deepEqual(
      denied.topics.map((t: any) => t.partitions[0].errorCode),
      [ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED],
    );
    const partly = await commit(alice, 'app-2');
    assert.deepEqual(
      partly.topics.map((t: any) => [t.name, t.partitions[0].errorCode]),
      [
        ['orders', ErrorCode.NONE],
        ['payments', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ],
    );
    // FindCoordinator needs DESCRIBE on the group (READ implies it).
    assert.equal((await find(bob, 'app-1')).coordinators[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.equal((await find(alice, 'app-1')).coordinators[0].errorCode, ErrorCode.NONE);
    // ListGroups: without DESCRIBE on the cluster, only the groups the principal may describe.
    const listed = await call(alice, ApiKey.ListGroups, 4, { statesFilter: [] });
    assert.ok(listed.groups.every((g: any) => g.groupId.startsWith('app-')));
    assert.ok(listed.groups.some((g: any) => g.groupId === 'app-1'));
    assert.deepEqual((await call(bob, ApiKey.ListGroups, 4, { statesFilter: [] })).groups, []);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: InitProducerId without a transactional id needs IDEMPOTENT_WRITE on the cluster or WRITE on a topic (KIP-679)', async () => {
  const init = (session: typeof alice) =>
    call(session, ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  assert.equal((await init(alice)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  await grant(
    allow('User:alice', 'IDEMPOTENT_WRITE', { resourceType: 'CLUSTER', resourceName: 'kafka-cluster' }),
    allow('User:bob', 'WRITE', { resourceName: 'orders' }),
  );
  try {
    assert.equal((await init(alice)).errorCode, ErrorCode.NONE);
    assert.equal((await init(bob)).errorCode, ErrorCode.NONE);
  } finally {
    await revokeAll();
  }
});

test('issue 15 ACLs: with the authorizer off every principal may do everything (Kafka without an authorizer)', async () => {
  const open = await startInProcessBroker('acl-checks-off');
  try {
    const openCall = callerOf(open.node.services);
    assert.equal((await openCall(bob, ApiKey.CreateTopics, 7, createTopicsRequest('free'))).topics[0].errorCode, ErrorCode.NONE);
    assert.equal((await openCall(bob, ApiKey.Produce, 9, produceRequest('free'))).responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(
      (await openCall(bob, ApiKey.Metadata, 12, metadataRequest(null))).topics.map((t: any) => t.name),
      ['free'],
    );
  } finally {
    await open.close();
  }
});

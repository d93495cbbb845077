// Consumer groups, committed offsets and idempotent produce over the wire, with our raw client
// against a real broker: the protocol paths clients use, the error codes Kafka gives for bad input
// (and that bad input corrupts nothing), durability across a restart, and the internal topic
// being protected.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { waitFor } from '../helpers/wait-for.ts';

let broker: BrokerHandle;
let client: RawClient;

before(async () => {
  broker = await startBroker();
  client = await RawClient.connect({ port: broker.port, clientId: 'groups-it' });
  await client.createTopics([{ name: 'g-topic', numPartitions: 3 }]);
  await client.waitForLeaders(['g-topic']);
});

after(async () => {
  client?.close();
  await broker?.stop();
});

function call(name: keyof typeof ApiKey, version: number, body: unknown, c = client): Promise<any> {
  return c.request(apiByKey.get(ApiKey[name])!, version, body);
}

/** A consumer-protocol subscription (version 0) to `topics`. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

function joinBody(groupId: string, memberId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['g-topic']) }],
    ...extra,
  };
}

/** Joins as a single dynamic member (KIP-394 two-step) and syncs; returns member id and generation. */
async function joinAlone(groupId: string, version = 5): Promise<{ memberId: string; generationId: number }> {
  await call('FindCoordinator', 2, { key: groupId, keyType: 0 });
  const first = await call('JoinGroup', version, joinBody(groupId, ''));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED); // KIP-394 MEMBER_ID_REQUIRED
  const joined = await call('JoinGroup', version, joinBody(groupId, first.memberId));
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.leader, first.memberId);
  const synced = await call('SyncGroup', 3, {
    groupId,
    generationId: joined.generationId,
    memberId: first.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: first.memberId, assignment: Buffer.from('assignment-bytes') }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.equal(synced.assignment.toString(), 'assignment-bytes', 'the leader assignment is relayed as sent');
  return { memberId: first.memberId, generationId: joined.generationId };
}

function commitBody(groupId: string, memberId: string, generationId: number, partitions: Array<[string, number, number, string | null]>) {
  const topics = new Map<string, Array<Record<string, unknown>>>();
  for (const [name, partitionIndex, committedOffset, committedMetadata] of partitions) {
    if (!topics.has(name)) topics.set(name, []);
    topics.get(name)!.push({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata });
  }
  return {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
  };
}

async function fetchOffset(groupId: string, topic: string, partition: number): Promise<number> {
  const res = await call('OffsetFetch', 7, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable: false });
  assert.equal(res.errorCode, ErrorCode.NONE);
  return Number(res.topics[0].partitions[0].committedOffset);
}

test('FindCoordinator names this broker (v0-v4); __consumer_offsets is internal and refuses produce', async () => {
  for (const version of [0, 1, 2, 3]) {
    const res = await call('FindCoordinator', version, { key: 'some-group', keyType: 0 });
    assert.equal(res.errorCode, ErrorCode.NONE, `v${version}`);
    assert.equal(res.port, broker.port);
  }
  const v4 = await call('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
  assert.deepEqual(
    v4.coordinators.map((c: any) => [c.key, c.errorCode, c.port]),
    [
      ['a', 0, broker.port],
      ['b', 0, broker.port],
    ],
  );
  const txn = await call('FindCoordinator', 2, { key: 'tx', keyType: 1 });
  assert.notEqual(txn.errorCode, ErrorCode.NONE, 'transactions are not offered');

  const md = await call('Metadata', 4, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: true });
  assert.equal(md.topics[0].errorCode, ErrorCode.NONE);
  assert.equal(md.topics[0].isInternal, true);
  const produced = await client.produce('__consumer_offsets', 0, buildRecordBatch({ records: [{ key: 'x', value: 'y' }] }));
  assert.equal(produced.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'clients cannot write the internal topic');
});

test('join, sync, heartbeat, commit and fetch; bad input gets Kafka error codes and corrupts nothing', async () => {
  const group = 'g-bad-input';
  const { memberId, generationId } = await joinAlone(group);
  const hb = (m: string, g: number) => call('Heartbeat', 3, { groupId: group, generationId: g, memberId: m, groupInstanceId: null });
  assert.equal((await hb(memberId, generationId)).errorCode, ErrorCode.NONE);
  assert.equal((await hb('no-such-member', generationId)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await hb(memberId, generationId - 1)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(
    (await call('Heartbeat', 3, { groupId: 'never-seen', generationId: 1, memberId, groupInstanceId: null })).errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );

  const good = await call('OffsetCommit', 7, commitBody(group, memberId, generationId, [['g-topic', 0, 42, 'meta']]));
  assert.equal(good.topics[0].partitions[0].errorCode, ErrorCode.NONE);

  const errorOf = (res: any) => res.topics[0].partitions[0].errorCode;
  assert.equal(errorOf(await call('OffsetCommit', 7, commitBody(group, 'stranger', generationId, [['g-topic', 0, 1, null]]))), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(errorOf(await call('OffsetCommit', 7, commitBody(group, memberId, generationId + 5, [['g-topic', 0, 1, null]]))), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(
    errorOf(await call('OffsetCommit', 7, commitBody(group, memberId, generationId, [['no-such-topic', 0, 1, null]]))),
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal(
    errorOf(await call('OffsetCommit', 7, commitBody(group, memberId, generationId, [['g-topic', 99, 1, null]]))),
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal(
    errorOf(await call('OffsetCommit', 7, commitBody(group, memberId, generationId, [['g-topic', 1, 1, 'x'.repeat(5000)]]))),
    ErrorCode.OFFSET_METADATA_TOO_LARGE,
  );
  // A generation for a group the coordinator does not know comes from an older generation.
  assert.equal(errorOf(await call('OffsetCommit', 7, commitBody('unknown-group', 'm', 3, [['g-topic', 0, 1, null]]))), ErrorCode.ILLEGAL_GENERATION);

  // Oversized protocol metadata is refused at the door (the group's limit is 64 KiB per member).
  const huge = await call('JoinGroup', 5, joinBody(group, '', { protocols: [{ name: 'range', metadata: Buffer.alloc(100_000) }] }));
  assert.equal(huge.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await call('JoinGroup', 5, joinBody(group, '', { sessionTimeoutMs: 10 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await call('JoinGroup', 5, joinBody(group, 'made-up-member'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await call('JoinGroup', 5, joinBody(group, memberId, { protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await call('JoinGroup', 5, joinBody('', ''))).errorCode, ErrorCode.INVALID_GROUP_ID);
  const badSync = await call('SyncGroup', 3, { groupId: group, generationId: generationId + 1, memberId, groupInstanceId: null, assignments: [] });
  assert.equal(badSync.errorCode, ErrorCode.ILLEGAL_GENERATION);

  // Nothing above disturbed the group or its offsets.
  assert.equal(await fetchOffset(group, 'g-topic', 0), 42);
  assert.equal(await fetchOffset(group, 'g-topic', 1), -1);
  const described = await call('DescribeGroups', 4, { groups: [group], includeAuthorizedOperations: false });
  assert.equal(described.groups[0].groupState, 'Stable');
  assert.equal(described.groups[0].members.length, 1);
  assert.equal(described.groups[0].members[0].memberAssignment.toString(), 'assignment-bytes');
  assert.equal((await hb(memberId, generationId)).errorCode, ErrorCode.NONE);
});

test('flexible versions (JoinGroup v7, SyncGroup v5, OffsetCommit v8, OffsetFetch v8) and LeaveGroup v3 batch form', async () => {
  const group = 'g-flex';
  await call('FindCoordinator', 4, { keyType: 0, coordinatorKeys: [group] });
  const first = await call('JoinGroup', 7, joinBody(group, ''));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await call('JoinGroup', 7, joinBody(group, first.memberId));
  assert.equal(joined.protocolType, 'consumer');
  assert.equal(joined.protocolName, 'range');
  const synced = await call('SyncGroup', 5, {
    groupId: group,
    generationId: joined.generationId,
    memberId: first.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: first.memberId, assignment: Buffer.from('a') }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.equal(synced.protocolName, 'range');
  const commit = await call('OffsetCommit', 8, commitBody(group, first.memberId, joined.generationId, [['g-topic', 2, 7, null]]));
  assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE);
  const fetched = await call('OffsetFetch', 8, { groups: [{ groupId: group, topics: null }], requireStable: false });
  assert.deepEqual(
    fetched.groups[0].topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, Number(p.committedOffset)])]),
    [['g-topic', [[2, 7]]]],
  );

  const deleteWhileMember = await call('DeleteGroups', 1, { groupsNames: [group] });
  assert.equal(deleteWhileMember.results[0].errorCode, ErrorCode.NON_EMPTY_GROUP);
  const left = await call('LeaveGroup', 3, {
    groupId: group,
    members: [
      { memberId: first.memberId, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
    ],
  });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    left.members.map((m: any) => m.errorCode),
    [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
  );
  const listed = await call('ListGroups', 4, { statesFilter: ['Empty'] });
  assert.ok(
    listed.groups.some((g: any) => g.groupId === group && g.groupState === 'Empty'),
    JSON.stringify(listed),
  );

  // KIP-496 OffsetDelete on the empty group, then DeleteGroups.
  const od = await call('OffsetDelete', 0, { groupId: group, topics: [{ name: 'g-topic', partitions: [{ partitionIndex: 2 }] }] });
  assert.equal(od.errorCode, ErrorCode.NONE);
  assert.equal(await fetchOffset(group, 'g-topic', 2), -1);
  const deleted = await call('DeleteGroups', 1, { groupsNames: [group, 'never-existed'] });
  assert.deepEqual(
    deleted.results.map((r: any) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND],
  );
});

test('KIP-98 over the wire: a resent batch gets its original offset, a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER; producer ids never repeat across restarts', async () => {
  const init = () => call('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
  const a = await init();
  const b = await init();
  assert.equal(a.errorCode, ErrorCode.NONE);
  assert.notEqual(a.producerId, b.producerId);
  const tx = await call('InitProducerId', 1, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000 });
  assert.notEqual(tx.errorCode, ErrorCode.NONE, 'transactional ids are refused');

  const batch = (seq: number, n: number) =>
    buildRecordBatch({
      records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })),
      producerId: Number(a.producerId),
      producerEpoch: 0,
      baseSequence: seq,
    });
  const first = await client.produce('g-topic', 1, batch(0, 3));
  assert.equal(first.errorCode, ErrorCode.NONE);
  const retry = await client.produce('g-topic', 1, batch(0, 3));
  assert.equal(retry.errorCode, ErrorCode.NONE);
  assert.equal(retry.baseOffset, first.baseOffset, 'the duplicate is answered with the original offset');
  const gap = await client.produce('g-topic', 1, batch(10, 1));
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const next = await client.produce('g-topic', 1, batch(3, 1));
  assert.equal(next.baseOffset, first.baseOffset + 3, 'nothing was appended for the retry or the gap');

  // After a restart, the state comes back from the log: the retry is still recognised.
  client.close();
  await broker.restart();
  client = await RawClient.connect({ port: broker.port, clientId: 'groups-it' });
  const afterRestart = await client.produce('g-topic', 1, batch(3, 1));
  assert.equal(afterRestart.baseOffset, next.baseOffset, 'producer state is rebuilt from the log');

  // After kill -9 there is no snapshot taken at close: the state is rebuilt from the log (issue 9:
  // the last producer snapshot, here none, and the batches after it), and the retry is still known.
  const more = await client.produce('g-topic', 1, batch(4, 2));
  assert.equal(more.errorCode, ErrorCode.NONE);
  client.close();
  await broker.kill9();
  await broker.restart();
  client = await RawClient.connect({ port: broker.port, clientId: 'groups-it' });
  const afterCrash = await client.produce('g-topic', 1, batch(4, 2));
  assert.equal(afterCrash.errorCode, ErrorCode.NONE);
  assert.equal(afterCrash.baseOffset, more.baseOffset, 'producer state is rebuilt from the log after kill -9');
  assert.equal((await client.produce('g-topic', 1, batch(3, 1))).baseOffset, next.baseOffset, 'so is an earlier one of the last five');
  assert.equal((await client.produce('g-topic', 1, batch(7, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'and a gap is still a gap');
  const c = await init();
  assert.ok(Number(c.producerId) > Number(b.producerId), `producer ids never repeat (${b.producerId} then ${c.producerId})`);
});

test('group metadata and offsets survive a restart: the group comes back Stable at its generation', async () => {
  const group = 'g-durable';
  const { memberId, generationId } = await joinAlone(group);
  await call(
    'OffsetCommit',
    7,
    commitBody(group, memberId, generationId, [
      ['g-topic', 0, 5, 'five'],
      ['g-topic', 1, 6, null],
    ]),
  );
  await call('OffsetCommit', 7, commitBody(group, memberId, generationId, [['g-topic', 0, 9, 'nine']]));
  client.close();
  await broker.kill9();
  await broker.restart();
  client = await RawClient.connect({ port: broker.port, clientId: 'groups-it' });
  await call('FindCoordinator', 2, { key: group, keyType: 0 });
  // After a kill -9 this replica's group state may lag its log, and the coordinator then loads it
  // over several event-loop turns, answering COORDINATOR_LOAD_IN_PROGRESS (retriable) meanwhile:
  // ask again, as a client does (issue 17: seen under load, the first answer had no topics).
  let res: any;
  await waitFor(
    async () => {
      res = await call('OffsetFetch', 7, { groupId: group, topics: null, requireStable: false });
      return res.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    },
    'the group loaded',
    10_000,
    20,
  );
  assert.equal(res.errorCode, ErrorCode.NONE);
  const offsets = Object.fromEntries(res.topics[0].partitions.map((p: any) => [p.partitionIndex, [Number(p.committedOffset), p.metadata]]));
  assert.deepEqual(offsets, { 0: [9, 'nine'], 1: [6, ''] });
  const described = await call('DescribeGroups', 4, { groups: [group], includeAuthorizedOperations: false });
  assert.equal(described.groups[0].groupState, 'Stable');
  // The member was loaded with a fresh session, so its heartbeat with the old generation still works.
  const hb = await call('Heartbeat', 3, { groupId: group, generationId, memberId, groupInstanceId: null });
  assert.equal(hb.errorCode, ErrorCode.NONE);
});

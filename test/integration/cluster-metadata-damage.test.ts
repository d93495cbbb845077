// issue 9 item 3 ("the replica must not vote as its old self, and it repairs from its peers") for
// the metadata group, on three real brokers: a bit flipped in a sealed segment of a follower's
// metadata log while it was down survives its restart (sealed segments load trusted, B6); the
// log's background scrub finds it, and the replica starts over in the running broker: a new
// group-level storage id, the log restarted after a snapshot of what it applied, added back by
// the controller (src/controller/metadata-membership.ts). No second restart, nothing committed lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { metadataGroupStatus } from '../helpers/cluster-metadata.ts';
import { KafkaError, RawClient } from '../../bench/lib/raw-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { LOG_OVERHEAD_BYTES } from '../../src/protocol/record-batch.ts';
import { metadataGroupName } from '../../src/controller/metadata-group.ts';

/** Small, so a restart replays only the newest entries (never the damaged segment) from a snapshot. */
const SNAPSHOT_ENTRIES = 20;
/** Large, so compaction behind those snapshots keeps the sealed segment the test damages. */
const COMPACTION_OVERHEAD = 100_000;
/** CreateTopics attempts, 100 ms apart, while an election runs. */
const CONTROLLER_WAIT_ATTEMPTS = 100;

async function createTopics(cluster: TestCluster, nodeId: number, names: string[]): Promise<void> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
  try {
    // Bounded: each attempt waits 100 ms while no controller is elected, as Kafka clients retry.
    for (let attempt = 1; ; attempt++) {
      try {
        const specs = names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1 }));
        await client.createTopics(specs, { waitForLeaders: false, ifNotExists: attempt > 1, timeoutMs: 20_000 });
        return;
      } catch (err) {
        if (!(err instanceof KafkaError) || err.errorCode !== ErrorCode.NOT_CONTROLLER || attempt >= CONTROLLER_WAIT_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.close();
  }
}

async function topicsSeenBy(cluster: TestCluster, nodeId: number): Promise<string[]> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
  try {
    const md = await client.metadata(null);
    return (md.topics as Array<{ name: string }>).map((t) => t.name).sort();
  } finally {
    client.close();
  }
}

/** Flips a bit in the records of the second batch of the oldest (sealed) metadata segment. */
function flipSealedMetadata(dataDir: string): string {
  const dir = join(dataDir, 'cluster', 'metadata');
  const logs = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  assert.ok(logs.length >= 2, `the metadata log has a sealed segment (${logs.join(', ')})`);
  const path = join(dir, logs[0]);
  const bytes = readFileSync(path);
  const second = LOG_OVERHEAD_BYTES + bytes.readInt32BE(8);
  assert.ok(second < bytes.length, 'the sealed segment holds two batches');
  const size = LOG_OVERHEAD_BYTES + bytes.readInt32BE(second + 8);
  bytes[second + size - 5] ^= 0x20;
  writeFileSync(path, bytes);
  return path;
}

/**
 * Three brokers; a follower's oldest metadata segment (sealed) gets a flipped bit while it is
 * stopped; after its restart the replica must start over once, in that process, and be added
 * back. `env` decides who finds the damage: with snapshots every SNAPSHOT_ENTRIES entries the
 * replay at start reads only entries after the damaged segment and the scrub finds it; without
 * (the default snapshot_entries is far above the entries here) the replay at start reads it.
 */
async function damagedFollowerStartsOver(env: Record<string, string>): Promise<void> {
  const cluster = await startCluster({ env });
  try {
    const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await createTopics(cluster, 1, names('first', 10));
    // A new term rolls a new segment on every replica: the first one is sealed from then on.
    const firstLeader = await cluster.leaderOf(metadataGroupName);
    await cluster.member(firstLeader).broker.kill9();
    await cluster.waitFor('a new metadata leader', async () => (await cluster.leaderOf(metadataGroupName, [firstLeader])) > 0);
    await cluster.member(firstLeader).broker.restart();
    await createTopics(cluster, firstLeader, names('second', 40));
    await cluster.waitCaughtUp(metadataGroupName);

    const leader = await cluster.leaderOf(metadataGroupName);
    const follower = cluster.members.map((m) => m.nodeId).find((id) => id !== leader)!;
    const disk = (await metadataGroupStatus(cluster, follower)).storageId;
    const broker = cluster.member(follower).broker;
    await broker.stop();
    const damaged = flipSealedMetadata(broker.dataDir);
    await broker.restart();
    const pid = broker.pid;

    await cluster.waitFor('the damage is found, naming the file', () =>
      broker.logs().some((l) => l.includes('damage in synced log data') && l.includes(damaged)),
    );
    await cluster.waitFor('the replica starts over in the running broker', () =>
      broker.logs().some((l) => l.includes('metadata replica started over after damage to its log')),
    );
    await cluster.waitFor(
      'the controller added it back under its new identity, as a voter',
      async () => {
        const mine = await metadataGroupStatus(cluster, follower);
        const leaderView = await metadataGroupStatus(cluster, await cluster.leaderOf(metadataGroupName));
        return (
          mine.storageId !== disk &&
          mine.storageId.startsWith(`${disk}/`) &&
          leaderView.voters.includes(follower) &&
          leaderView.followers.some((f) => f.id === follower && f.storageId === mine.storageId && f.identityOk)
        );
      },
      60_000,
    );

    // It takes new metadata like the others, and nothing committed before is missing anywhere.
    await createTopics(cluster, leader, names('third', 5));
    await cluster.waitCaughtUp(metadataGroupName);
    const expected = [...names('first', 10), ...names('second', 40), ...names('third', 5)].sort();
    for (const m of cluster.members) assert.deepEqual(await topicsSeenBy(cluster, m.nodeId), expected, `broker ${m.nodeId} serves every topic`);
    assert.ok(broker.alive() && broker.pid === pid, 'the broker was not restarted');
    const lines = broker.logs();
    const sinceRestart = lines.slice(lines.map((l) => l.startsWith('[harness] restart')).lastIndexOf(true));
    assert.equal(sinceRestart.filter((l) => l.includes('metadata group started')).length, 1, 'the repair started no second broker or group start');
  } finally {
    await cluster.stop();
  }
}

test('issue 9 item 3: a metadata replica whose sealed segment the scrub finds damaged starts over in the running broker and is repaired from its peers', async () => {
  await damagedFollowerStartsOver({
    RUNNEL_CLUSTER__SNAPSHOT_ENTRIES: String(SNAPSHOT_ENTRIES),
    RUNNEL_CLUSTER__COMPACTION_OVERHEAD: String(COMPACTION_OVERHEAD),
  });
});

test("issue 9 item 3: damage the metadata log's replay at start reads makes the replica start over, not the broker fail to start", async () => {
  await damagedFollowerStartsOver({});
});

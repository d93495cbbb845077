// issue 9 "Everything that grows is bounded", on three real brokers with a small
// cluster.snapshot_entries: the metadata log is compacted behind snapshots, so a broker that was
// down while topics came and went, or whose data dir was wiped, can only catch up through a
// snapshot (Raft §7, InstallSnapshot); it then serves the same metadata as the others.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { metadataGroupStatus } from '../helpers/cluster-metadata.ts';
import { KafkaError, RawClient } from '../../bench/lib/raw-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { metadataGroupName } from '../../src/controller/metadata-group.ts';

const SNAPSHOT_ENTRIES = 50;
const COMPACTION_OVERHEAD = 10;
/** CreateTopics attempts, 100 ms apart, while an election runs (a few election timeouts). */
const CONTROLLER_WAIT_ATTEMPTS = 100;

/** What a broker's Metadata answer says about the topics: name, id and partition count, sorted. */
async function topicsSeenBy(cluster: TestCluster, nodeId: number): Promise<string[]> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port, versions: { Metadata: 12 } });
  try {
    const md = await client.metadata(null);
    return (md.topics as Array<{ name: string; topicId: unknown; partitions: unknown[] }>)
      .map((t) => `${t.name} ${String(t.topicId)} ${t.partitions.length}`)
      .sort();
  } finally {
    client.close();
  }
}

/** Creates and deletes topics through `nodeId` (replication factor 1 keeps the partition groups cheap). */
async function churn(cluster: TestCluster, nodeId: number, prefix: string, created: number, deleted: number): Promise<void> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
  try {
    const names = Array.from({ length: created }, (_, i) => `${prefix}-${i}`);
    // Bounded: created / 20 requests of 20 topics each, each retried while no controller is
    // elected (a killed broker may have been the controller), as Kafka clients do.
    for (let k = 0; k < names.length; k += 20) {
      const specs = names.slice(k, k + 20).map((name) => ({ name, numPartitions: 1, replicationFactor: 1 }));
      for (let attempt = 1; ; attempt++) {
        try {
          await client.createTopics(specs, { waitForLeaders: false, ifNotExists: attempt > 1, timeoutMs: 20_000 });
          break;
        } catch (err) {
          if (!(err instanceof KafkaError) || err.errorCode !== ErrorCode.NOT_CONTROLLER || attempt >= CONTROLLER_WAIT_ATTEMPTS) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    for (let k = 0; k < deleted; k += 20) {
      const results = await client.deleteTopics(names.slice(k, Math.min(k + 20, deleted)), 20_000);
      for (const r of results) assert.equal(r.errorCode, 0, `delete ${r.name}`);
    }
  } finally {
    client.close();
  }
}

async function assertSameMetadata(cluster: TestCluster): Promise<void> {
  await cluster.waitCaughtUp(metadataGroupName);
  const seen = await Promise.all(cluster.members.map((m) => topicsSeenBy(cluster, m.nodeId)));
  for (let i = 1; i < seen.length; i++)
    assert.deepEqual(seen[i], seen[0], `broker ${cluster.members[i].nodeId} serves the same topics as broker ${cluster.members[0].nodeId}`);
}

const installedLines = (cluster: TestCluster, nodeId: number) =>
  cluster
    .member(nodeId)
    .broker.logs()
    .filter((l) => l.includes('metadata snapshot installed')).length;

test('a broker that was down, and one whose data dir was wiped, catch up through a metadata snapshot', async () => {
  const cluster = await startCluster({
    env: { RUNNEL_CLUSTER__SNAPSHOT_ENTRIES: String(SNAPSHOT_ENTRIES), RUNNEL_CLUSTER__COMPACTION_OVERHEAD: String(COMPACTION_OVERHEAD) },
  });
  try {
    // 1. Broker 3 is down while 100 topics are created and 70 deleted through broker 1.
    const down = cluster.member(3);
    await down.broker.kill9();
    const lastIndexBefore = (await cluster.status(1)).groups.find((g) => g.group === metadataGroupName)!.lastIndex;
    await churn(cluster, 1, 'churn', 100, 70);
    const leader = await cluster.leaderOf(metadataGroupName, [3]);
    const compacted = await metadataGroupStatus(cluster, leader);
    assert.ok(compacted.firstIndex > lastIndexBefore + 1, `the leader's log starts at ${compacted.firstIndex}, after broker 3's last entry ${lastIndexBefore}`);
    await down.broker.restart();
    await cluster.waitFor('broker 3 installed a metadata snapshot', () => installedLines(cluster, 3) > 0);
    await assertSameMetadata(cluster);
    assert.equal((await topicsSeenBy(cluster, 3)).length, 30);

    // 2. Broker 2 comes back with an empty data dir (a new disk): it can only start from a snapshot.
    const wiped = cluster.member(2);
    await wiped.broker.kill9();
    rmSync(wiped.broker.dataDir, { recursive: true, force: true });
    await churn(cluster, 1, 'more', 20, 10);
    await wiped.broker.restart();
    await cluster.waitFor('broker 2 installed a metadata snapshot', () => installedLines(cluster, 2) > 0);
    await assertSameMetadata(cluster);
    assert.equal((await topicsSeenBy(cluster, 2)).length, 40);
    for (const m of cluster.members) {
      const g = await metadataGroupStatus(cluster, m.nodeId);
      assert.ok(g.firstIndex > 1, `broker ${m.nodeId}'s metadata log is compacted (first index ${g.firstIndex})`);
    }
  } finally {
    await cluster.stop();
  }
});

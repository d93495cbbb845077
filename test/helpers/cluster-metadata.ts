// What each broker of a TestCluster answers in Metadata, asked of that broker alone (issue 11:
// a joined broker must appear in Metadata on every broker).
import assert from 'node:assert/strict';
import { RawConnection } from './raw-socket.ts';
import type { TestCluster } from './cluster.ts';
import { metadataGroupName } from '../../src/controller/metadata-group.ts';
import { metadataRequestV1, parseMetadataV1, type MetadataV1Topic } from './wire.ts';

/** The Metadata (v1) answer of one broker, asked directly: its brokers, and the topic's partitions. */
export async function metadataOf(cluster: TestCluster, nodeId: number, topics: string[] = []): Promise<{ brokers: number[]; topics: MetadataV1Topic[] }> {
  const conn = await RawConnection.connect(cluster.member(nodeId).broker.port);
  try {
    await conn.send(metadataRequestV1(1, topics));
    const { brokers, topics: answered } = parseMetadataV1(await conn.readFrame());
    return { brokers: brokers.sort((a, b) => a - b), topics: answered };
  } finally {
    conn.close();
  }
}

/** Whether every member of the cluster lists exactly the brokers `ids` (ascending). */
export async function everyBrokerLists(cluster: TestCluster, ids: number[]): Promise<boolean> {
  for (const m of cluster.members) {
    if ((await metadataOf(cluster, m.nodeId)).brokers.join() !== ids.join()) return false;
  }
  return true;
}

/** One broker's status of its metadata group replica (GET /status); it must host one. */
export async function metadataGroupStatus(cluster: TestCluster, nodeId: number) {
  const g = (await cluster.status(nodeId)).groups.find((x) => x.group === metadataGroupName);
  assert.ok(g, `broker ${nodeId} hosts the metadata group`);
  return g;
}

// Issue 14: the admin API and /metrics of a 3-broker cluster over real HTTP: readiness of a
// broker that is not registered yet (503) and after it joined (200, through the /v1 alias of
// POST /cluster/join), a topic created over HTTP on every broker, each follower's lag on the
// leader's /v1/raft/groups, and the Raft metrics (elections, terms, fsyncs) moving.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { parsePrometheus, sampleSum } from '../helpers/prometheus.ts';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster();
});

after(async () => {
  await cluster?.stop();
});

type Json = Record<string, any>;

async function http(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    signal: AbortSignal.timeout(5_000),
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function metrics(port: number): Promise<ReturnType<typeof parsePrometheus>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200);
  return parsePrometheus(await res.text());
}

test('issue 14: readiness, topics, Raft groups and Raft metrics across a cluster', async () => {
  for (const m of cluster.members) {
    await cluster.waitFor(`broker ${m.nodeId} ready`, async () => (await http(m.httpPort, 'GET', '/v1/ready')).status === 200, 60_000);
  }
  const created = await http(cluster.members[0].httpPort, 'POST', '/v1/topics', { name: 'ops', partitions: 2, replicationFactor: 3 });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  for (const m of cluster.members) {
    await cluster.waitFor(`broker ${m.nodeId} describes ops with leaders`, async () => {
      const topic = await http(m.httpPort, 'GET', '/v1/topics/ops');
      return topic.status === 200 && topic.json.partitions.every((p: Json) => p.leader > 0 && p.replicas.length === 3);
    });
  }
  // Only a group's leader knows its followers' lag.
  const leader = await cluster.leaderOf('ops-0');
  assert.ok(leader > 0);
  const groups = (await http(cluster.member(leader).httpPort, 'GET', '/v1/raft/groups')).json.groups as Json[];
  const ops0 = groups.find((g) => g.group === 'ops-0')!;
  assert.equal(ops0.state, 'leader');
  assert.deepEqual(
    ops0.followers.map((f: Json) => f.id).sort(),
    cluster.members.map((m) => m.nodeId).filter((id) => id !== leader),
  );
  assert.ok(ops0.followers.every((f: Json) => Number.isInteger(f.lag) && f.lag >= 0));
  // Only the leader knows the in-sync set: a follower used to name every voter in sync, even one
  // far behind, so it answers null instead.
  for (const m of cluster.members) {
    const p0 = (await http(m.httpPort, 'GET', '/v1/topics/ops')).json.partitions[0];
    if (m.nodeId === leader) assert.ok(Array.isArray(p0.isr) && p0.isr.includes(leader), JSON.stringify(p0));
    else assert.equal(p0.isr, null, `broker ${m.nodeId} does not lead ops-0: ${JSON.stringify(p0)}`);
  }

  const scraped = await Promise.all(cluster.members.map((m) => metrics(m.httpPort)));
  assert.ok(scraped.reduce((n, e) => n + sampleSum(e, 'runnel_raft_elections_total'), 0) >= 1, 'somebody campaigned for each group');
  for (const e of scraped) {
    assert.ok(sampleSum(e, 'runnel_raft_fsync_duration_seconds_count') > 0, 'every broker synced Raft entries');
    assert.ok(sampleSum(e, 'runnel_raft_term', { group: '__metadata' }) >= 1);
    assert.equal(sampleSum(e, 'runnel_node_info', { mode: 'cluster' }), 1);
  }
  assert.equal(
    scraped.reduce((n, e) => n + sampleSum(e, 'runnel_raft_is_leader', { group: 'ops-0' }), 0),
    1,
    'one leader of ops-0',
  );
});

test('issue 14: GET /v1/ready answers 503 until a joining broker is registered, then 200', async () => {
  let before: { status: number; json: Json } | undefined;
  await cluster.addJoiner({
    nodeId: 4,
    discovery: 'manual',
    whileStarting: async (httpPort) => {
      before = await http(httpPort, 'GET', '/v1/ready');
      const joined = await http(httpPort, 'POST', '/v1/cluster/join', { address: cluster.member(1).raftAddress });
      assert.equal(joined.status, 202, JSON.stringify(joined.json));
    },
  });
  assert.equal(before?.status, 503);
  assert.equal(before?.json.ready, false);
  assert.match(before?.json.reasons.join('\n'), /broker 4 is not registered/);
  await cluster.waitFor('broker 4 ready', async () => (await http(cluster.member(4).httpPort, 'GET', '/v1/ready')).status === 200, 60_000);
});

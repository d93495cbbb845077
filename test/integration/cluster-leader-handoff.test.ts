// Issue 9 ("a coordinator failover after 1,000,000 offset commits takes under 1 s"): the two ways
// a cluster learns early that a leader is gone. A broker stopped cleanly hands every group it
// leads to a caught-up voter before it stops (Raft thesis §3.10 leadership transfer), and a
// broker killed with kill -9 closes its sockets, which the followers' transports report so they
// campaign without waiting out an election timeout (Raft.reportConnectionLost). Neither assertion
// is about speed: each checks that the path was taken, from the brokers' logs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic } from '../helpers/cluster-clients.ts';

type LogLine = Record<string, unknown>;

/** Log lines of `nodeId` at or after `sinceMs` with message `msg`. */
function logged(cluster: TestCluster, nodeId: number, msg: string, sinceMs: number): LogLine[] {
  return cluster
    .member(nodeId)
    .broker.jsonLogs()
    .filter((l) => l.msg === msg && Date.parse(String(l.time)) >= sinceMs);
}

/** Whether a line names the Raft group of `topic-partition` (wire name `<topic>-<partition>@<topicId>`). */
const about = (l: LogLine, group: string) => String(l.group ?? '').split('@')[0] === group;

test('issue 9 failover: a broker stopped cleanly hands the groups it leads over before it stops (§3.10)', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'handoff');
    const victim = await cluster.leaderOf('handoff-0');
    assert.ok(victim > 0);
    await cluster.waitCaughtUp('handoff-0');
    const stoppedAt = Date.now();
    // SIGTERM, then a start on the same data dir; the logs of the stopped process stay readable.
    await cluster.member(victim).broker.restart();
    const handed = logged(cluster, victim, 'handed leadership over before stopping', stoppedAt);
    assert.equal(handed.length, 1, 'the stopping broker handed its groups over');
    assert.ok(Number(handed[0].groups) >= 1);
    const survivors = cluster.members.map((m) => m.nodeId).filter((id) => id !== victim);
    const successor = survivors.find((id) => logged(cluster, id, 'became leader', stoppedAt).some((l) => about(l, 'handoff-0')));
    assert.ok(successor !== undefined, 'a surviving broker leads handoff-0');
    // A transfer campaigns without pre-vote: the successor never was a pre-candidate for it.
    const preVotes = logged(cluster, successor, 'campaigning', stoppedAt).filter((l) => about(l, 'handoff-0') && l.state === 'preCandidate');
    assert.deepEqual(preVotes, [], 'the successor was handed leadership, not elected after a timeout');
  } finally {
    await cluster.stop();
  }
});

test('issue 9 failover: followers of a leader killed with kill -9 learn it from the closed connection', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'killed');
    const victim = await cluster.leaderOf('killed-0');
    assert.ok(victim > 0);
    await cluster.waitCaughtUp('killed-0');
    const killedAt = Date.now();
    await cluster.member(victim).broker.kill9();
    await cluster.waitFor('a new leader of killed-0', async () => (await cluster.leaderOf('killed-0', [victim])) > 0, 30_000);
    const survivors = cluster.members.map((m) => m.nodeId).filter((id) => id !== victim);
    const hinted = survivors.flatMap((id) => logged(cluster, id, 'leader unreachable: campaigning early', killedAt)).filter((l) => l.peer === victim);
    assert.equal(hinted.length, 2, 'both followers stopped trusting the killed leader when its connection closed');
    for (const l of hinted) assert.ok(Number(l.groups) >= 1);
  } finally {
    await cluster.stop();
  }
});

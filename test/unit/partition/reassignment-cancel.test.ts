// Issue 11, cancelling a reassignment (AlterPartitionReassignments with a null target, KIP-455):
// the partition goes back to its original replicas, and the broker the move added leaves the
// group and deletes its replica, with nothing acknowledged lost. In process: five brokers, each a
// ClusterReplicaManager over a RaftHost on an in-memory hub, with its own metadata state; the test
// applies the metadata commands to each (as the metadata group would) and runs the broker's own
// reconcile round (reconcile-round.ts) on every broker between ticks. A partition on 1, 2, 3 is
// moved and cancelled at three points: while the added broker is a learner; after the two added
// brokers became voters, with an original replica down; after two original replicas were removed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataCommand } from '../../../src/metadata/metadata-state.ts';
import type { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { reconcilePartitionGroups, type CompleteReassignment } from '../../../src/partition/reconcile-round.ts';
import { inProcessBroker, type InProcessBroker } from '../../helpers/cluster-replica-manager.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { makeBatch, tempDir } from '../storage/helpers.ts';
import { tickUntil } from '../../helpers/raft-ticks.ts';

const IDS = [1, 2, 3, 4, 5];
const TOPIC_ID = 'e'.repeat(32);

class Cluster {
  readonly brokers: InProcessBroker[];
  /** Brokers that run: a down broker takes no ticks, applies nothing and is cut off on the hub. */
  readonly up = new Set(IDS);
  readonly changes: string[] = [];
  constructor(
    readonly hub: MemoryHub,
    readonly dirs: string[],
  ) {
    this.brokers = IDS.map((id, k) => inProcessBroker(hub, id, IDS, dirs[k]));
  }
  b(id: number): InProcessBroker {
    return this.brokers[id - 1];
  }
  running(): InProcessBroker[] {
    return this.brokers.filter((b) => this.up.has(b.id));
  }
  /** The metadata group applies a command on every running broker. */
  apply(command: MetadataCommand): void {
    for (const b of this.running()) {
      const result = b.state.apply(command);
      assert.ok(result.ok, `${command.type} on broker ${b.id}: ${JSON.stringify(result)}`);
      b.replicas.onMetadata(command, b.state);
    }
  }
  down(id: number): void {
    this.up.delete(id);
    this.hub.partition(
      IDS.filter((i) => i !== id),
      [id],
    );
  }
  /** One reconcile round on every running broker, as ClusterNode runs it each second. */
  round(): void {
    const announced = new Map([...this.up].map((id) => [id, `disk-${id}`]));
    const completions: CompleteReassignment[] = [];
    for (const b of this.running()) {
      reconcilePartitionGroups(
        { state: b.state, replicas: b.replicas, announced, learnerLagEntriesMax: 64 },
        {
          changed: (_group, change) => this.changes.push(`${change.type} ${change.nodeId}`),
          refused: () => undefined,
          transferred: (_group, to) => this.changes.push(`transfer ${to}`),
          complete: (_group, command) => completions.push(command),
        },
      );
    }
    for (const command of completions) this.apply(command);
  }
  async tick(what: string, check: () => boolean, ticksMax = 2_000): Promise<void> {
    await tickUntil(what, check, this.running(), ticksMax);
  }
  /** Rounds 20 ticks apart until `check` holds (bounded). */
  async rounds(what: string, check: () => boolean, roundsMax = 100): Promise<void> {
    for (let i = 0; i < roundsMax; i++) {
      if (check()) return;
      this.round();
      await this.tick(what, check, 20).catch(() => undefined);
    }
    assert.fail(`${what}: not reached within ${roundsMax} rounds`);
  }
  leader(): ReplicatedPartition | undefined {
    return this.running()
      .map((b) => b.replicas.servedReplica('t', 0))
      .find((r) => r !== undefined);
  }
  /** The leader's configuration once committed: voters and learners, sorted; undefined while none. */
  config(): { voters: number[]; learners: number[] } | undefined {
    const status = this.leader()?.raft?.status();
    if (!status || status.configIndex > status.commit) return undefined;
    const ids = (ms: Array<{ id: number }>) => ms.map((m) => m.id).sort();
    return { voters: ids(status.config.voters), learners: ids(status.config.learners) };
  }
  /** One acks=all append through the current leader; the offset after it. */
  async produce(): Promise<number> {
    await this.tick('a leader serves', () => this.leader() !== undefined);
    const leader = this.leader()!;
    const { lastOffset, committed } = await leader.append([makeBatch(1, 3)]);
    // Bounded: the tick loop below fails the test when the append never commits.
    let done = false;
    void committed.then(() => (done = true));
    await this.tick('the append commits', () => done);
    return lastOffset + 1;
  }
  /** One change at a time until the group's committed configuration is `want`. */
  async stepUntil(what: string, want: (c: { voters: number[]; learners: number[] }) => boolean): Promise<void> {
    // A single round, then ticks until that change committed (and a learner caught up), so the
    // test stops the move exactly where it wants it.
    // Ten ticks at least: a leadership transfer the round started takes a few.
    for (let i = 0; i < 200; i++) {
      const c = this.config();
      if (c && want(c)) return;
      this.round();
      await this.tick('ten ticks', () => false, 10).catch(() => undefined);
      await this.tick(`${what} (a change commits)`, () => this.config() !== undefined && this.caughtUp()).catch(() => undefined);
    }
    assert.fail(`${what}: not reached`);
  }
  private caughtUp(): boolean {
    const status = this.leader()?.raft?.status();
    return status?.progress.every((p) => !this.up.has(p.id) || p.match === status.lastIndex) === true;
  }
  dir(id: number): string {
    return join(this.dirs[id - 1], 't-0');
  }
  segmentBytes(id: number): Buffer {
    const dir = this.dir(id);
    return Buffer.concat(
      readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort()
        .map((f) => readFileSync(join(dir, f))),
    );
  }
  async close(): Promise<void> {
    for (const b of this.brokers) {
      await b.host.close();
      await b.replicas.close();
    }
  }
}

async function withCluster(t: { after: (fn: () => void) => void }, body: (c: Cluster) => Promise<void>): Promise<void> {
  const dirs = IDS.map(() => tempDir(t as never));
  const c = new Cluster(new MemoryHub(), dirs);
  try {
    for (const b of c.brokers) await b.replicas.start(b.state);
    c.apply({
      type: 'createTopic',
      topic: { name: 't', topicId: TOPIC_ID, partitionCount: 1, replicationFactor: 3, configs: {}, assignments: [[1, 2, 3]], createdAtMs: 0 },
    });
    await c.tick('a leader serves', () => c.leader() !== undefined);
    await body(c);
  } finally {
    await c.close();
  }
}

/** What every cancel must end in: the assignment back, no move recorded, the group its three brokers, the added brokers without a replica or directory. */
async function assertBackToOriginal(c: Cluster, acked: number, added: number[]): Promise<void> {
  await c.rounds(
    'the group is back to 1, 2, 3 and the cancel is recorded as done',
    () =>
      JSON.stringify(c.config()) === JSON.stringify({ voters: [1, 2, 3], learners: [] }) &&
      c.running().every((b) => b.state.reassignmentTarget('t', 0) === undefined && b.state.cancelledReplicas('t', 0).length === 0),
  );
  for (const b of c.running()) assert.deepEqual(b.state.topic('t')!.assignments[0], [1, 2, 3], `broker ${b.id}: the original assignment`);
  for (const id of added) {
    assert.equal(c.b(id).replicas.replica('t', 0), undefined, `broker ${id} hosts no replica`);
    await c.tick(`broker ${id}'s replica directory is deleted`, () => !existsSync(c.dir(id)));
  }
  // Nothing acknowledged lost (Raft §5.4: a committed entry stays in every later leader's log),
  // and the original replicas hold the same log (§5.3, log matching), byte for byte.
  const end = await c.produce();
  assert.ok(end > acked);
  const originals = [1, 2, 3].filter((id) => c.up.has(id));
  for (const id of originals) {
    await c.tick(`broker ${id} holds everything committed`, () => {
      const replica = c.b(id).replicas.replica('t', 0);
      return replica !== undefined && replica.highWatermark >= end && replica.logEndOffset === c.leader()?.logEndOffset;
    });
  }
  await c.tick('the followers flushed', () => true, 50).catch(() => undefined);
  const reference = c.segmentBytes(1);
  for (const id of originals.filter((i) => i !== 1)) assert.ok(c.segmentBytes(id).equals(reference), `broker ${id}'s log equals broker 1's`);
}

test('KIP-455 cancel while the added broker is a learner: it deletes its replica at once and the leader removes it', async (t) => {
  await withCluster(t, async (c) => {
    let acked = await c.produce();
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 2, 4] });
    await c.stepUntil('broker 4 is a learner', (cfg) => cfg.learners.includes(4));
    acked = await c.produce();
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: null });
    // A learner never counts for commit or elections: broker 4 lets go at once, in the apply.
    assert.equal(c.b(4).replicas.replica('t', 0), undefined, 'broker 4 dropped its replica as the cancel applied');
    await assertBackToOriginal(c, acked, [4]);
    assert.deepEqual(c.changes, ['addLearner 4', 'removeNode 4']);
  });
});

test('KIP-455 cancel after the added brokers became voters, with an original replica down: they vote until removed, and the group returns to 1, 2, 3', async (t) => {
  await withCluster(t, async (c) => {
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 4, 5] });
    await c.stepUntil('brokers 4 and 5 are voters', (cfg) => cfg.voters.includes(4) && cfg.voters.includes(5));
    // Broker 3 goes down: five voters, four of them up.
    c.down(3);
    const acked = await c.produce();
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: null });
    // Brokers 4 and 5 are voters the group needs while it shrinks back (1 and 2 are no majority of
    // five, nor of four): each must vote until the leader has removed it (Raft thesis §4.1, one
    // server at a time). Before the fix both dropped their replicas as the cancel applied, and the
    // group could commit nothing, not even their removal, until broker 3 came back.
    await assertBackToOriginal(c, acked, [4, 5]);
  });
});

test('KIP-455 cancel after two original replicas were removed: they are added back before the added brokers leave', async (t) => {
  await withCluster(t, async (c) => {
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 4, 5] });
    await c.stepUntil('brokers 2 and 3 are removed', (cfg) => JSON.stringify(cfg.voters) === '[1,4,5]');
    const acked = await c.produce();
    const before = c.changes.length;
    c.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: null });
    // The group is 1, 4, 5: before the fix 4 and 5 dropped their replicas at once, leaving broker 1
    // alone in a group of three for good (nothing commits, so 2 and 3 can never be added back).
    await assertBackToOriginal(c, acked, [4, 5]);
    const back = c.changes.slice(before);
    const removed = Math.min(back.indexOf('removeNode 4'), back.indexOf('removeNode 5'));
    assert.ok(
      back.includes('addVoter 2') &&
        back.includes('addVoter 3') &&
        removed >= 0 &&
        back.indexOf('addVoter 2') < removed &&
        back.indexOf('addVoter 3') < removed,
      `the originals vote again before an added broker is removed: ${c.changes.join(', ')}`,
    );
  });
});

// Chaos bug B1, a topic created while one broker's disk is full: that broker cannot open its
// replica (here: the disk fills after the first of the three founding entries). The founding cut
// short must not stay (a log holding only `addVoter 1` names broker 1 as the only voter, and it
// would elect itself alone: Raft §5.2 needs the whole configuration), and once space returns the
// replica is opened again (HostedReplicas.retryUnopened), founds with the whole configuration and
// catches up with the others.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inProcessBroker, type InProcessBroker } from '../../helpers/cluster-replica-manager.ts';
import type { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { nodeFs, setStorageFs, type FileSystem } from '../../../src/storage/fs.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { makeBatch, tempDir } from '../storage/helpers.ts';
import { tickUntil as until } from '../../helpers/raft-ticks.ts';

/** node:fs, except that writes to segment files under `dir` fail with ENOSPC while `full` (after `writesLeft` more). */
class FillingFs {
  full = false;
  writesLeft = 0;
  private readonly paths = new Map<number, string>();
  constructor(private readonly dir: string) {}
  fs(): FileSystem {
    return {
      ...nodeFs,
      open: (path, flags) => {
        const fd = nodeFs.open(path, flags);
        this.paths.set(fd, path);
        return fd;
      },
      write: (fd, buffer, offset, length, position) => {
        const path = this.paths.get(fd) ?? '';
        if (this.full && path.startsWith(this.dir) && path.endsWith('.log')) {
          if (this.writesLeft <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
          this.writesLeft--;
        }
        return nodeFs.write(fd, buffer, offset, length, position);
      },
    };
  }
}

type Broker = InProcessBroker;

function broker(hub: MemoryHub, id: number, ids: number[], dataDir: string): Broker {
  return inProcessBroker(hub, id, ids, dataDir, { isolateStorageFailures: true });
}

test('B1: a replica whose founding a full disk cut short founds again, whole, once space returns', async (t) => {
  const ids = [1, 2, 3];
  const dirs = ids.map(() => tempDir(t));
  const disk = new FillingFs(dirs[0]);
  setStorageFs(disk.fs());
  t.after(() => setStorageFs(nodeFs));
  const hub = new MemoryHub();
  const brokers = ids.map((id, k) => broker(hub, id, ids, dirs[k]));
  const [b1, b2, b3] = brokers;
  try {
    for (const b of brokers) await b.replicas.start(b.state);
    // Broker 1's disk takes one founding entry of three, then refuses.
    disk.full = true;
    disk.writesLeft = 1;
    const command = {
      type: 'createTopic' as const,
      topic: { name: 't', topicId: 'a'.repeat(32), partitionCount: 1, replicationFactor: 3, configs: {}, assignments: [[1, 2, 3]], createdAtMs: 0 },
    };
    for (const b of brokers) {
      assert.ok(b.state.apply(command).ok);
      b.replicas.onMetadata(command, b.state);
    }
    assert.equal(b1.replicas.replica('t', 0), undefined, 'broker 1 could not open its replica');
    assert.equal(b1.replicas.retryUnopened(), 1, 'still unopened while the disk is full');
    await until('a leader among brokers 2 and 3', () => [b2, b3].some((b) => b.replicas.partition('t', 0) !== undefined), brokers);
    const leader = [b2, b3].map((b) => b.replicas.servedReplica('t', 0)).find((p) => p !== undefined) as ReplicatedPartition;
    const { committed } = await leader.append([makeBatch(1, 2)]);
    await committed;

    disk.full = false;
    assert.equal(b1.replicas.retryUnopened(), 0, 'opened once space returned');
    const replica = b1.replicas.replica('t', 0)!;
    assert.deepEqual(
      replica.raft!.status().config.voters.map((m) => m.id),
      [1, 2, 3],
      'founded with the whole configuration, not the prefix the full disk left',
    );
    await until('broker 1 caught up', () => replica.highWatermark === leader.highWatermark && replica.logEndOffset === leader.logEndOffset, brokers);
    assert.ok(replica.raft!.status().state !== 'leader' || replica.raft!.status().term > 1);
  } finally {
    for (const b of brokers) {
      await b.host.close();
      await b.replicas.close();
    }
  }
});

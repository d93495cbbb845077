// The clients of a replica-simulator run (replica-sim.ts): producers append through a partition
// leader's ReplicatedPartition and count a batch acknowledged when its acks=all promise resolves;
// consumers read below a replica's high watermark; clients of the metadata-like group propose on
// any node; retention runs on every broker as HostedReplicas.runRetention does.

import { LAST_OFFSET_DELTA_OFFSET, buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { NO_PROPOSAL, encodeCommand } from './meta-replica.ts';
import { batchKey, forEachBatch } from './offset-ledger.ts';
import { TICK_MS } from './replica-profile.ts';
import type { HostedGroup } from './replica-node.ts';
import type { Broker, GroupRun, World } from './replica-world.ts';
import { LogFailedError } from '../../src/storage/errors.ts';
import { ioCode } from './sim-disk.ts';

/** Produces 1 to `batchesMax` batches of 1-3 records through `hosted`'s replica; resolves true once acknowledged (acks=all). */
export function produce(w: World, g: GroupRun, hosted: HostedGroup, batchesMax = 3): Promise<boolean> {
  const nowMs = w.tick * TICK_MS;
  const batches: Buffer[] = [];
  const count = w.rng.int(1, batchesMax + 1);
  for (let k = 0; k < count; k++) {
    const records = Array.from({ length: w.rng.int(1, 4) }, () => ({ key: null, value: Buffer.from(`r${w.nextId()}`), timestamp: nowMs }));
    batches.push(buildRecordBatch({ records }));
  }
  const keys = batches.map(batchKey);
  const sizes = batches.map((batch) => batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1);
  w.stats.produced += count;
  return hosted.replica!.append(batches).then(
    (res) =>
      res.committed.then(
        () => {
          let offset = res.baseOffset;
          for (let k = 0; k < count; k++) {
            const at = offset;
            w.guard(() => g.ledger.onAcked(at, keys[k]));
            offset += sizes[k];
          }
          w.stats.acked += count;
          return true;
        },
        () => false,
      ),
    () => false,
  );
}

/** Proposes a command to the metadata-like group through `hosted`'s node; resolves true once its proposer applied it. */
export function proposeCommand(w: World, g: GroupRun, hosted: HostedGroup): Promise<boolean> {
  const id = `c${w.nextId()}`;
  const command = encodeCommand(id);
  const applied = hosted.meta!.propose(id, command);
  if (applied === null) return Promise.resolve(false);
  w.stats.produced++;
  const key = batchKey(command);
  return applied.then((index) => {
    if (index === NO_PROPOSAL) return false;
    w.stats.acked++;
    g.metaAcked.set(index, key);
    return true;
  });
}

/** A consumer reads below the high watermark of a replica (usually the leader, as Fetch does). */
function consume(w: World, group: string, g: GroupRun): void {
  const r = w.rng;
  const c = r.int(0, g.consumers.length);
  let b: Broker | undefined;
  let hosted: HostedGroup | undefined;
  if (r.chance(0.8)) {
    const ld = w.leaderOf(group);
    b = ld?.b;
    hosted = ld?.hosted;
  } else {
    b = w.brokers[r.int(0, w.brokers.length)];
    hosted = b.proc?.groups.get(group);
  }
  if (b === undefined || hosted === undefined || !w.up(b)) return;
  const replica = hosted.replica!;
  const hw = replica.highWatermark;
  const pos = Math.max(g.consumers[c], replica.logStartOffset);
  if (pos >= hw || pos > replica.logEndOffset) return;
  const res = replica.log.read(pos, 4096, hw);
  const id = b.id;
  forEachBatch(res.records, (offset, key) => {
    w.stats.readBatches++;
    g.ledger.onSeen(id, offset, key);
  });
  g.consumers[c] = res.nextOffset;
}

/** One tick of client traffic on every group. */
export function runClients(w: World): void {
  const r = w.rng;
  for (const [name, g] of w.groups) {
    if (r.chance(w.profile.produceChance)) {
      const b = w.brokers[r.int(0, w.brokers.length)];
      const hosted = b.proc?.groups.get(name);
      if (w.up(b) && hosted !== undefined) {
        // Any node proposes a metadata command, as every broker's MetadataGroup can; a
        // partition takes produces on its leader only.
        if (g.plan.kind === 'meta') void proposeCommand(w, g, hosted);
        else if (hosted.replica!.isLeader) void produce(w, g, hosted);
      }
    }
    if (g.plan.kind === 'partition' && r.chance(w.profile.readChance)) consume(w, name, g);
  }
}

/** Retention on every running broker, as HostedReplicas.runRetention: bounded by the high watermark and the durable Raft state. */
export function runRetention(w: World): void {
  const p = w.profile;
  if (p.retentionBytes < 0 && p.retentionMs < 0) return;
  const nowMs = w.tick * TICK_MS;
  for (const b of w.brokers) {
    if (!w.up(b)) continue;
    for (const hosted of b.proc!.groups.values()) {
      if (hosted.replica === null) continue;
      try {
        const deleted = hosted.replica.log.applyRetention(nowMs, hosted.replica.retentionBoundOffset);
        w.stats.retentionDeletedBatches += deleted.deletedSegments;
      } catch (err) {
        // As HostedReplicas.runRetention: a full disk (or a log read-only after a failed fsync)
        // refuses retention's writes; the next pass tries again.
        const code = ioCode(err);
        if (code !== 'ENOSPC' && code !== 'EIO' && !(err instanceof LogFailedError)) throw err;
        w.note(`node ${b.id}: retention failed (${(err as Error).message}); tried again at the next pass`);
      }
    }
  }
}

// Raft benchmarks: `node --import tsx bench/raft.ts [--seeds N] [--entries N] [--batch N]`.
// (1) simulator speed for 5-node clusters with faults; (2) core throughput of an
// in-process 3-node cluster with an in-memory network and MemoryStorage (no fsync).

import { MemoryStorage, RaftNode, Rng } from '../src/raft/index.ts';
import type { ConfState, Message } from '../src/raft/index.ts';
import { runSeed } from '../test/sim/sim.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function simulatorSpeed(seeds: number): void {
  const ticksPerSeed = 2000;
  const start = process.hrtime.bigint();
  let ticks = 0;
  let acked = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runSeed(seed * 2, { nodes: 5, safetyTicks: ticksPerSeed - 500, livenessTicksMax: 500 });
    if (!r.ok) throw new Error(`seed ${r.seed} failed: ${r.error}`);
    ticks += r.ticks;
    acked += r.stats.acked;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const seedsPerSec = seeds / s;
  console.log(
    `simulator (5 nodes, faults, ${ticksPerSeed}-tick budget per seed, ${seeds} seeds): ` +
      `${Math.round(ticks / s).toLocaleString('en')} simulated ticks/s, ${seedsPerSec.toFixed(1)} seeds/s = ` +
      `${Math.round(seedsPerSec * 60).toLocaleString('en')} seeds/min; 100,000 seeds ≈ ${(100000 / seedsPerSec / 60).toFixed(0)} min ` +
      `(${acked.toLocaleString('en')} proposals acknowledged)`,
  );
}

function coreThroughput(entries: number, batch: number, payloadBytes: number): void {
  const ids = [1, 2, 3];
  const conf: ConfState = { voters: ids.map((id) => ({ id, storageId: `s${id}` })), learners: [] };
  const rng = new Rng(7);
  const peers = ids.map((id) => {
    const storage = new MemoryStorage(`s${id}`);
    storage.bootstrap(conf);
    const node = new RaftNode(
      { id, electionTicks: 10, heartbeatTicks: 1, maxInflightMsgs: 256, maxSizePerMsg: 1 << 20, maxUncommittedBytes: 256 << 20 },
      storage,
      rng.fork(),
    );
    return { id, storage, node, applied: 0 };
  });
  let queue: Message[] = [];
  const pump = (): void => {
    for (const p of peers) {
      if (!p.node.hasReady()) continue;
      const rd = p.node.ready();
      if (rd.snapshot) p.storage.applySnapshot(rd.snapshot);
      p.storage.append(rd.entries);
      if (rd.hardState) p.storage.setHardState(rd.hardState);
      for (const m of rd.messages) queue.push(m);
      p.applied += rd.committedEntries.length;
      p.node.advance(rd);
    }
    const q = queue;
    queue = [];
    for (const m of q) peers[m.to - 1].node.step(m);
  };
  peers[0].node.campaign();
  for (let k = 0; k < 100; k++) pump();
  const leader = peers[0];
  if (leader.node.state !== 'leader') throw new Error('bench: node 1 did not become leader');
  const payload = new Uint8Array(payloadBytes);
  const datas = new Array<Uint8Array>(batch).fill(payload);
  const base = leader.applied;
  const start = process.hrtime.bigint();
  let proposed = 0;
  let loops = 0;
  while (leader.applied - base < entries) {
    // Keep a few batches in flight, as a broker with many producers would.
    if (proposed - (leader.applied - base) < 8 * batch && proposed < entries) {
      const r = leader.node.proposeBatch(datas);
      if (r.ok) proposed += batch;
    }
    pump();
    if (++loops > 100 * entries) throw new Error('bench: no progress');
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const n = leader.applied - base;
  console.log(
    `core (3 nodes in-process, MemoryStorage, no fsync, ${payloadBytes}-byte entries, batches of ${batch}): ` +
      `${Math.round(n / s).toLocaleString('en')} entries committed/s (${n.toLocaleString('en')} in ${s.toFixed(2)} s), ` +
      `${Math.round(n / batch / s).toLocaleString('en')} batches/s`,
  );
}

const seeds = arg('--seeds', 100);
const entries = arg('--entries', 2_000_000);
const batch = arg('--batch', 512);
if (seeds > 0) simulatorSpeed(seeds);
coreThroughput(entries, batch, 16);
coreThroughput(entries / 4, 1, 16);

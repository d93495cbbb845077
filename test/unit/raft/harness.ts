// A tiny deterministic in-memory cluster for scenario tests: messages queue up and are
// delivered only when a test calls deliver()/stabilize(), so each test controls exactly
// which messages arrive (in the style of etcd-io/raft's network tests).

import { MemoryStorage, RaftNode, Rng } from '../../../src/raft/index.ts';
import type { ConfState, Entry, Message, RaftConfig, ReadState } from '../../../src/raft/index.ts';

export interface TestPeer {
  id: number;
  node: RaftNode;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
}

export const TEST_CONFIG: Partial<RaftConfig> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  checkQuorum: false,
  preVote: false,
  maxInflightMsgs: 256,
  maxSizePerMsg: 1024 * 1024,
};

export class TestCluster {
  readonly peers = new Map<number, TestPeer>();
  queue: Message[] = [];
  /** Messages for which this returns true are dropped. */
  dropIf: (m: Message) => boolean = () => false;
  readonly isolated = new Set<number>();
  readonly delivered: Message[] = [];
  private readonly rng: Rng;

  constructor(
    ids: number[],
    readonly config: Partial<RaftConfig> = {},
    seed = 1,
  ) {
    this.rng = new Rng(seed);
    const confState: ConfState = { voters: ids.map((id) => ({ id, storageId: `s${id}` })), learners: [] };
    for (const id of ids) {
      const storage = new MemoryStorage(`s${id}`);
      storage.bootstrap(confState);
      this.addPeer(id, storage);
    }
  }

  addPeer(id: number, storage: MemoryStorage, extra: Partial<RaftConfig> = {}): TestPeer {
    const node = new RaftNode({ ...TEST_CONFIG, ...this.config, ...extra, id }, storage, this.rng.fork());
    const peer: TestPeer = { id, node, storage, applied: [], readStates: [] };
    this.peers.set(id, peer);
    return peer;
  }

  /** Restarts a node from what its storage holds (a crash that lost nothing durable). */
  restart(id: number, extra: Partial<RaftConfig> = {}): TestPeer {
    const old = this.peer(id);
    this.peers.delete(id);
    return this.addPeer(id, old.storage, extra);
  }

  peer(id: number): TestPeer {
    const p = this.peers.get(id);
    if (p === undefined) throw new Error(`no peer ${id}`);
    return p;
  }

  node(id: number): RaftNode {
    return this.peer(id).node;
  }

  /** Persists, sends and applies every pending Ready, like a host would. */
  processReadies(): void {
    for (const p of this.peers.values()) {
      for (let k = 0; k < 100 && p.node.hasReady(); k++) {
        const rd = p.node.ready();
        if (rd.snapshot !== null) {
          p.storage.applySnapshot(rd.snapshot);
          p.applied = [];
        }
        p.storage.append(rd.entries);
        if (rd.hardState !== null) p.storage.setHardState(rd.hardState);
        for (const m of rd.messages) this.queue.push(m);
        for (const e of rd.committedEntries) p.applied.push(e);
        for (const r of rd.readStates) p.readStates.push(r);
        if (rd.snapshotRequest !== null) {
          const req = rd.snapshotRequest;
          p.storage.createSnapshot(req.index, req.confState, new Uint8Array(0));
          p.storage.compact(Math.min(req.compactTo, req.index));
        }
        p.node.advance(rd);
      }
    }
  }

  /** Delivers queued messages (and what they cause) until quiet; bounded rounds. */
  stabilize(maxRounds = 200): void {
    for (let round = 0; round < maxRounds; round++) {
      this.processReadies();
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliverOne(m);
    }
    throw new Error('cluster did not stabilize');
  }

  /** Delivers only the messages already queued, without following up. */
  deliverQueued(): void {
    this.processReadies();
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) this.deliverOne(m);
  }

  private deliverOne(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    if (this.dropIf(m)) return;
    const p = this.peers.get(m.to);
    if (p === undefined) return;
    this.delivered.push(m);
    p.node.step(m);
  }

  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  /** Ticks every node n times, stabilizing after each tick. */
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const p of this.peers.values()) p.node.tick();
      this.stabilize();
    }
  }

  elect(id: number): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: number, text: string) {
    const r = this.node(id).propose(new TextEncoder().encode(text));
    this.stabilize();
    return r;
  }

  leaders(): number[] {
    return [...this.peers.values()].filter((p) => p.node.state === 'leader').map((p) => p.id);
  }

  appliedTexts(id: number): string[] {
    const dec = new TextDecoder();
    return this.peer(id)
      .applied.filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => dec.decode(e.data));
  }
}

// The simulated network both simulators share (sim.ts drives bare RaftNodes, replica-sim.ts
// whole replicas): messages in flight ordered by delivery step, with drop, duplication,
// delay spikes (reordering), directed link cuts, partitions and a flapping node, all drawn
// from the simulator's seeded PRNG so a seed replays the same network.

import type { Rng } from '../../src/raft/index.ts';
import { FlightHeap } from './heap.ts';

/** What travels: anything with a sender and a receiver (node ids 1..n). */
export interface Routed {
  from: number;
  to: number;
}

export interface NetworkProfile {
  drop: number;
  duplicate: number;
  /** Probability that a message gets a long delay (reordering it past others). */
  delaySpike: number;
  delaySpikeStepsMax: number;
}

/** Draws the network part of a seed's profile (four draws, in this order). */
export function drawNetworkProfile(rng: Rng): NetworkProfile {
  return {
    drop: rng.pick([0, 0.01, 0.05, 0.15]),
    duplicate: rng.pick([0, 0.01, 0.05]),
    delaySpike: rng.pick([0, 0.02, 0.1]),
    delaySpikeStepsMax: rng.pick([8, 40, 120]),
  };
}

export function describeNetworkProfile(p: NetworkProfile): string {
  return `drop=${p.drop} dup=${p.duplicate} delaySpike=${p.delaySpike}/${p.delaySpikeStepsMax}steps`;
}

export interface NetworkCounters {
  messages: number;
  dropped: number;
}

export class SimNetwork<T extends Routed> {
  private readonly heap = new FlightHeap<T>();
  private seq = 0;
  /** The current step; a normal one-way delay is 1-2 steps. */
  step = 0;
  /** Off in the liveness phase: no drops, duplicates or delay spikes. */
  faultsOn = true;
  /** Directed links that are cut: blocked[from][to]. */
  readonly blocked: boolean[][];
  private flapping = 0;
  private flapPeriodTicks = 0;

  constructor(
    private readonly nodes: number,
    private readonly rng: Rng,
    private readonly profile: NetworkProfile,
    private readonly counters: NetworkCounters,
  ) {
    this.blocked = Array.from({ length: nodes + 1 }, () => new Array<boolean>(nodes + 1).fill(false));
  }

  get inFlight(): number {
    return this.heap.size;
  }

  /** Sends `m` subject to cut links, drop, duplication and delay. */
  send(m: T): void {
    this.counters.messages++;
    if (this.blocked[m.from][m.to]) {
      this.counters.dropped++;
      return;
    }
    const p = this.profile;
    if (this.faultsOn && p.drop > 0 && this.rng.chance(p.drop)) {
      this.counters.dropped++;
      return;
    }
    this.enqueue(m);
    if (this.faultsOn && p.duplicate > 0 && this.rng.chance(p.duplicate)) this.enqueue(m);
  }

  private enqueue(m: T): void {
    let delay = this.rng.int(1, 3);
    const p = this.profile;
    if (this.faultsOn && p.delaySpike > 0 && this.rng.chance(p.delaySpike)) delay += this.rng.int(1, p.delaySpikeStepsMax);
    this.heap.push({ at: this.step + delay, seq: this.seq++, item: m });
  }

  /** Hands every message due by the current step to `deliver`, in (step, send) order. */
  deliverDue(deliver: (m: T) => void): void {
    while (this.heap.size > 0 && this.heap.peekAt() <= this.step) {
      const m = this.heap.pop()!.item;
      // A link cut after the message left still loses it (the connection broke).
      if (!this.blocked[m.from][m.to]) deliver(m);
    }
  }

  // ------------------------------------------------------------ faults (each returns its note)

  setIsolated(id: number, cut: boolean): void {
    for (let j = 1; j <= this.nodes; j++) {
      if (j === id) continue;
      this.blocked[id][j] = cut;
      this.blocked[j][id] = cut;
    }
  }

  isolate(id: number): string {
    this.setIsolated(id, true);
    return `isolate ${id}`;
  }

  /** Cuts one direction of a link from `id` to a random other node; null when it drew `id` itself. */
  cutOneWay(id: number): string | null {
    const n = this.nodes;
    const other = 1 + ((id + this.rng.int(0, n - 1)) % n);
    if (other === id) return null;
    this.blocked[id][other] = true;
    return `one-way cut ${id}->${other}`;
  }

  /** Cuts every link between a random subset of the nodes and the rest. */
  partition(): string {
    const n = this.nodes;
    const side: number[] = [];
    for (let id = 1; id <= n; id++) if (this.rng.chance(0.5)) side.push(id);
    for (const a of side) for (let b = 1; b <= n; b++) if (!side.includes(b)) this.blocked[a][b] = this.blocked[b][a] = true;
    return `partition [${side.join(',')}] | rest`;
  }

  /** `id` is isolated and reconnected every few ticks (see onTick). */
  flap(id: number, electionTicks: number): string {
    this.flapping = id;
    this.flapPeriodTicks = this.rng.int(2, 3 * electionTicks);
    return `flap ${id} every ${this.flapPeriodTicks} ticks`;
  }

  heal(): void {
    for (const row of this.blocked) row.fill(false);
    this.flapping = 0;
  }

  /** Advances the flapping node's cycle; call once per tick while faults are on. */
  onTick(tick: number): void {
    if (this.flapping !== 0 && tick % this.flapPeriodTicks === 0) {
      const cut = !this.blocked[this.flapping][this.flapping === 1 ? 2 : 1];
      this.setIsolated(this.flapping, cut);
    }
  }
}

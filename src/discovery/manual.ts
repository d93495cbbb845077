// Manual discovery (cluster.discovery.type "manual"): no seeds until an operator names one with
// `POST /cluster/join {"address": "host:port"}` (src/http/cluster-join.ts) or `runnel cluster
// join`. The address is any running member's Raft address; the handshake says who it is.

import type { Discovery, Seed } from './types.ts';

/** A joined address is kept until the broker stops; more than this many is an operator's mistake. */
export const MANUAL_SEEDS_MAX = 16;

export class ManualDiscovery implements Discovery {
  readonly type = 'manual';
  private readonly addresses: string[] = [];

  /** Adds a seed; false when it was known already. Throws RangeError when the list is full. */
  join(address: string): boolean {
    if (this.addresses.includes(address)) return false;
    if (this.addresses.length >= MANUAL_SEEDS_MAX) throw new RangeError(`at most ${MANUAL_SEEDS_MAX} join addresses are kept`);
    this.addresses.push(address);
    return true;
  }

  seeds(): Promise<Seed[]> {
    return Promise.resolve(this.addresses.map((address) => ({ address })));
  }
}

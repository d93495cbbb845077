// The seed-provider seam (cluster.discovery): how a broker that is not a member yet finds the
// running cluster. A provider only names addresses to dial; the transport's authenticated
// handshake tells who answers (node id, storage id), so a seed is never trusted for more than a
// place to knock. Providers: static (cluster.initial_members), manual (an operator's
// POST /cluster/join); dns and etcd are added the same way (docs/cluster.md, "Joining").

/** One place to look for a member: a Raft transport address, and the node id if the provider knows it. */
export interface Seed {
  /** "host:port" of a member's Raft transport (cluster.raft_address). */
  address: string;
  /** Only a hint: the handshake names the node that answers. */
  nodeId?: number;
}

/** Who this broker is, for providers that publish it (etcd registers it under a lease). */
export interface DiscoverySelf {
  nodeId: number;
  /** This broker's Raft transport address (cluster.raft_address). */
  raftAddress: string;
}

export interface Discovery {
  /** The provider's name, as in cluster.discovery.type (for logs and status). */
  readonly type: string;
  /**
   * The addresses to dial now. The node asks while it looks for the cluster (not registered
   * yet), every SEED_POLL_INTERVAL_MS; a provider must answer within its own bounded time (a
   * lookup that fails rejects, and the node asks again next time). May be empty (manual mode
   * before a join). This node's own address may be in the list; the node skips it.
   */
  seeds(): Promise<Seed[]>;
  /** Publishes this broker where others look (etcd); called once the transport listens. */
  register?(self: DiscoverySelf): Promise<void>;
  /** Releases what the provider holds (leases, sockets, timers); called when the broker stops. */
  close?(): Promise<void>;
}

/** How often a node that is not registered yet asks its provider for seeds. */
export const SEED_POLL_INTERVAL_MS = 1_000;

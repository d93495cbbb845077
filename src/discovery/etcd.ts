// etcd discovery: each node puts `<prefix><node id>` → {"node_id", "raft_address"} under a
// lease it renews every third of the lease's time, and the seeds are the keys under the
// prefix. A node that stops cleanly revokes its lease (its key goes at once); one that dies
// or loses etcd for a whole lease drops out when the lease expires. Losing etcd never stops
// the broker: the renewal keeps trying (a lost lease is granted again and the key put again),
// a look-up that fails gives no seeds, and each problem is logged once until it changes.
import { readMember } from '../config/values.ts';
import type { Logger } from '../log/index.ts';
import { EtcdClient } from './etcd-client.ts';
import { uniqueSeeds } from './seed-list.ts';
import type { Discovery, DiscoverySelf, Seed } from './types.ts';

/** Keys named in the warning about values that are not member records. */
const FOREIGN_KEYS_SHOWN = 5;

export interface EtcdDiscoveryOptions {
  endpoints: readonly string[];
  /** Ends with "/"; node keys are the prefix + the node id. */
  prefix: string;
  leaseTtlS: number;
  logger: Logger;
  /** One request's deadline (ETCD_REQUEST_TIMEOUT_MS when absent). */
  requestTimeoutMs?: number;
}

/** The value stored under a node's key. */
export interface EtcdMember {
  node_id: number;
  raft_address: string;
}

/** Reads a key's value; null when it is not a member record (written by something else). */
export function parseMember(value: string): Seed | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  const entry = parsed as Partial<EtcdMember> | null;
  if (typeof entry !== 'object' || entry === null) return null;
  const member = readMember({ node_id: entry.node_id, address: entry.raft_address }, 0);
  return member.ok ? { address: member.value.address, nodeId: member.value.node_id } : null;
}

export class EtcdDiscovery implements Discovery {
  readonly type = 'etcd';
  private readonly client: EtcdClient;
  private readonly prefix: string;
  private readonly leaseTtlS: number;
  /** This node's id, key and value, known once register() is called. */
  private selfId: number | undefined;
  private key = '';
  private value = '';
  private readonly logger: Logger;
  private leaseId: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The renewal in progress; renewals never overlap, and close() waits for this one. */
  private renewing: Promise<void> | null = null;
  private closed = false;
  /** The last problem logged per activity ('register', 'seeds', 'list'); null once it works again. */
  private readonly problems = new Map<string, string | null>();

  constructor(opts: EtcdDiscoveryOptions) {
    this.client = new EtcdClient(opts.endpoints, opts.requestTimeoutMs);
    this.prefix = opts.prefix;
    this.leaseTtlS = opts.leaseTtlS;
    this.logger = opts.logger;
  }

  /** Puts this node's key (when etcd answers) and keeps its lease alive until close(). */
  async register(self: DiscoverySelf): Promise<void> {
    if (this.closed || this.timer !== null) return;
    this.selfId = self.nodeId;
    this.key = `${this.prefix}${self.nodeId}`;
    this.value = JSON.stringify({ node_id: self.nodeId, raft_address: self.raftAddress } satisfies EtcdMember);
    await this.renew();
    // A third of the lease leaves two more tries before it expires, as etcd's own clients do.
    this.timer = setInterval(() => void this.renew(), (this.leaseTtlS * 1000) / 3);
    // The renewal alone must not keep a stopping process alive; close() ends it.
    this.timer.unref();
  }

  async seeds(): Promise<Seed[]> {
    let kvs;
    try {
      kvs = await this.client.rangePrefix(this.prefix);
    } catch (error) {
      this.problem('seeds', (error as Error).message);
      return [];
    }
    this.problem('seeds', null);
    const seeds: Seed[] = [];
    const foreign: string[] = [];
    for (const { key, value } of kvs) {
      const seed = parseMember(value);
      if (seed === null) foreign.push(key);
      else if (seed.nodeId !== this.selfId) seeds.push(seed);
    }
    const shown = foreign.slice(0, FOREIGN_KEYS_SHOWN).join(', ');
    this.problem(
      'list',
      foreign.length === 0 ? null : `${foreign.length} key(s) under the prefix hold no {"node_id": N, "raft_address": "host:port"}: ${shown}`,
    );
    return uniqueSeeds(seeds);
  }

  /** Stops renewing and revokes the lease, so the key goes now rather than a lease later. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
    const leaseId = this.leaseId;
    this.leaseId = null;
    if (leaseId === null) return;
    try {
      await this.client.revoke(leaseId);
    } catch (error) {
      this.logger.warn({ key: this.key, error: (error as Error).message }, 'etcd discovery: could not revoke the lease; the key goes when it expires');
    }
  }

  /** One renewal: keep the lease alive, or (first time, or lease lost) grant one and put the key. */
  private renew(): Promise<void> {
    if (this.renewing !== null || this.closed) return this.renewing ?? Promise.resolve();
    this.renewing = this.renewOnce().finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    try {
      if (this.leaseId !== null && (await this.client.keepAlive(this.leaseId)) > 0) {
        this.problem('register', null);
        return;
      }
      if (this.leaseId !== null) this.logger.warn({ key: this.key }, 'etcd discovery: the lease expired; registering again');
      this.leaseId = null;
      const leaseId = await this.client.grant(this.leaseTtlS);
      if (this.closed) {
        await this.client.revoke(leaseId);
        return;
      }
      // The lease counts as ours only once the key is under it: if the put fails, the next
      // renewal starts over, and the unused lease expires by itself.
      await this.client.put(this.key, this.value, leaseId);
      this.leaseId = leaseId;
      this.problem('register', null);
      this.logger.info({ key: this.key, lease_ttl_s: this.leaseTtlS }, 'etcd discovery: registered');
    } catch (error) {
      this.problem('register', (error as Error).message);
    }
  }

  /** Logs a problem once until it changes, and its end once. */
  private problem(activity: string, problem: string | null): void {
    const last = this.problems.get(activity) ?? null;
    if (problem === last) return;
    this.problems.set(activity, problem);
    if (problem !== null) this.logger.warn({ activity, problem }, `etcd discovery: ${activity} failed; trying again`);
    else this.logger.info({ activity }, `etcd discovery: ${activity} works again`);
  }
}

// DNS discovery: the seeds are the SRV and A/AAAA records of one name, which is what a
// Kubernetes headless service publishes for its pods (docs/kubernetes.md). Each look-up
// asks again, so pods that come and go are seen; nothing is cached here beyond the resolver's
// own answer. A failed look-up gives no seeds and is logged once, until its cause changes or
// the name resolves again: a broker waiting for its peers' pods must not fill its log.
import type { SrvRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import type { Logger } from '../log/index.ts';
import { formatAddress, SEEDS_MAX, statefulSetNodeId, uniqueSeeds } from './seed-list.ts';
import type { Discovery, DiscoverySelf, Seed } from './types.ts';

/** How long one DNS query waits for an answer, and how often it is sent, before it fails. */
export const DNS_QUERY_TIMEOUT_MS = 2_000;
export const DNS_QUERY_TRIES = 2;

// Answers that mean "no such records", not "the look-up failed": NXDOMAIN and NODATA.
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

export interface DnsDiscoveryOptions {
  /** The name whose SRV and A/AAAA records list the members. */
  name: string;
  /** The Raft port of an address an A/AAAA record gives. */
  port: number;
  /** DNS servers ("ip" or "ip:port"); empty: the system's resolvers. */
  servers: readonly string[];
  logger: Logger;
}

type Lookup<T> = { ok: true; records: T[] } | { ok: false; problem: string };

async function lookup<T>(query: () => Promise<T[]>): Promise<Lookup<T>> {
  try {
    return { ok: true, records: await query() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && NO_RECORDS.has(code)) return { ok: true, records: [] };
    return { ok: false, problem: code ?? (error as Error).message };
  }
}

export class DnsDiscovery implements Discovery {
  readonly type = 'dns';
  private readonly name: string;
  private readonly port: number;
  private readonly resolver: Resolver;
  private readonly logger: Logger;
  /** What the last look-up logged: a problem, or null after a look-up that found seeds. */
  private lastProblem: string | null = null;
  /** This node's id, once register() gave it: its own SRV record is not a seed. */
  private selfId: number | undefined;

  constructor(opts: DnsDiscoveryOptions) {
    this.name = opts.name;
    this.port = opts.port;
    this.logger = opts.logger;
    this.resolver = new Resolver({ timeout: DNS_QUERY_TIMEOUT_MS, tries: DNS_QUERY_TRIES });
    if (opts.servers.length > 0) this.resolver.setServers([...opts.servers]);
  }

  /** DNS publishes this node without it (Kubernetes does); only remembers who it is. */
  register(self: DiscoverySelf): Promise<void> {
    this.selfId = self.nodeId;
    return Promise.resolve();
  }

  async seeds(): Promise<Seed[]> {
    const [srv, [v4, v6]] = await Promise.all([lookup<SrvRecord>(() => this.resolver.resolveSrv(this.name)), this.addresses(this.name)]);
    const seeds: Seed[] = [];
    if (srv.ok) {
      // A target of "." means the service is decidedly not available (RFC 2782).
      const targets = srv.records.filter((record) => record.name !== '' && record.name !== '.').slice(0, SEEDS_MAX);
      for (const found of await Promise.all(targets.map((record) => this.targetSeeds(record)))) seeds.push(...found);
    }
    for (const result of [v4, v6]) {
      if (result.ok) for (const address of result.records) seeds.push({ address: formatAddress(address, this.port) });
    }
    const found = uniqueSeeds(seeds).filter((seed) => this.selfId === undefined || seed.nodeId !== this.selfId);
    this.report(found, [
      ['SRV', srv],
      ['A', v4],
      ['AAAA', v6],
    ]);
    return found;
  }

  /**
   * The seeds one SRV record gives: the target's addresses, asked of the same servers as the
   * SRV record (the system resolver the transport dials with may not know the name: in the
   * tests it does not), each with the record's port and the node id the target's name gives.
   * A target without addresses there is left to the system resolver, by name.
   */
  private async targetSeeds(record: SrvRecord): Promise<Seed[]> {
    const nodeId = statefulSetNodeId(record.name);
    const [v4, v6] = await this.addresses(record.name);
    const hosts = [...(v4.ok ? v4.records : []), ...(v6.ok ? v6.records : [])];
    if (hosts.length === 0) hosts.push(record.name);
    return hosts.map((host) => (nodeId === undefined ? { address: formatAddress(host, record.port) } : { address: formatAddress(host, record.port), nodeId }));
  }

  /** The A and the AAAA records of a name. */
  private addresses(name: string): Promise<[Lookup<string>, Lookup<string>]> {
    return Promise.all([lookup<string>(() => this.resolver.resolve4(name)), lookup<string>(() => this.resolver.resolve6(name))]);
  }

  /** Logs a look-up that found nothing once per cause, and the first success after it. */
  private report(found: readonly Seed[], results: ReadonlyArray<readonly [string, Lookup<unknown>]>): void {
    if (found.length > 0) {
      if (this.lastProblem !== null) this.logger.info({ name: this.name, seeds: found.length }, 'dns discovery: the name resolves again');
      this.lastProblem = null;
      return;
    }
    const failures = results.flatMap(([type, result]) => (result.ok ? [] : [`${type}: ${result.problem}`]));
    const problem = failures.length === 0 ? 'no SRV, A or AAAA records' : failures.join(', ');
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.logger.warn({ name: this.name, problem }, 'dns discovery: the name gives no seeds; asking again on the next look-up');
  }
}

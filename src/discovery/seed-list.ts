// Turning what a provider found (DNS records, etcd values) into a seed list: the address form
// the transport dials, the StatefulSet naming rule for node ids, one seed per address, and a
// bound on the list's length.
import type { Seed } from './types.ts';

/** A seed list longer than this is a mistake (a wrong name or prefix), not a cluster. */
export const SEEDS_MAX = 100;

/** "host:port", with an IPv6 literal in brackets ("[::1]:9192"). */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// A StatefulSet names its pods <statefulset>-<ordinal>; a Kubernetes name starts with a letter.
// Requiring the letter keeps CoreDNS's dashed-IP names ("10-0-0-7.svc...") from matching.
const STATEFUL_SET_POD = /^[a-z]([-a-z0-9]*[a-z0-9])?-(\d{1,9})$/;

/**
 * The node id a StatefulSet pod's host name gives: the pod's ordinal + 1 (`runnel-0` is node 1,
 * `runnel-2.runnel-headless.ns.svc.cluster.local` is node 3), the rule docs/kubernetes.md sets
 * `cluster.node_id` by. Undefined for a name that does not follow the pattern.
 */
export function statefulSetNodeId(host: string): number | undefined {
  const match = STATEFUL_SET_POD.exec(host.split('.')[0]!.toLowerCase());
  return match === null ? undefined : Number(match[2]) + 1;
}

/**
 * One seed per address, sorted by address so the same records give the same list, at most
 * SEEDS_MAX. A node id given for an address by any of its entries is kept.
 */
export function uniqueSeeds(seeds: readonly Seed[]): Seed[] {
  const byAddress = new Map<string, Seed>();
  for (const seed of seeds) {
    const known = byAddress.get(seed.address);
    if (known === undefined || (known.nodeId === undefined && seed.nodeId !== undefined)) byAddress.set(seed.address, seed);
  }
  return [...byAddress.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)).slice(0, SEEDS_MAX);
}

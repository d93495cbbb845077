// Builds the seed provider cluster.discovery names (types.ts describes the seam).

import type { ClusterConfig } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { DnsDiscovery } from './dns.ts';
import { EtcdDiscovery } from './etcd.ts';
import { ManualDiscovery } from './manual.ts';
import { StaticDiscovery } from './static.ts';
import type { Discovery } from './types.ts';

export type { Discovery, DiscoverySelf, Seed } from './types.ts';
export { SEED_POLL_INTERVAL_MS } from './types.ts';
export { ManualDiscovery } from './manual.ts';
export { StaticDiscovery } from './static.ts';
export { DnsDiscovery } from './dns.ts';
export { EtcdDiscovery } from './etcd.ts';

export function createDiscovery(cluster: Pick<ClusterConfig, 'discovery' | 'initial_members'>, logger: Logger): Discovery {
  const { discovery } = cluster;
  switch (cluster.discovery.type) {
    case 'static':
      return new StaticDiscovery(cluster.initial_members);
    case 'manual':
      return new ManualDiscovery();
    case 'dns':
      // The config refuses type "dns" without a name (checkDiscovery in src/config/load.ts).
      return new DnsDiscovery({ name: discovery.name ?? '', port: discovery.port, servers: discovery.servers, logger });
    case 'etcd':
      return new EtcdDiscovery({ endpoints: discovery.endpoints, prefix: discovery.prefix, leaseTtlS: discovery.lease_ttl_s, logger });
  }
}

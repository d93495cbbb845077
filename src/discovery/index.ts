// Builds the seed provider cluster.discovery names (types.ts describes the seam).

import type { ClusterConfig } from '../config/index.ts';
import { ManualDiscovery } from './manual.ts';
import { StaticDiscovery } from './static.ts';
import type { Discovery } from './types.ts';

export type { Discovery, DiscoverySelf, Seed } from './types.ts';
export { SEED_POLL_INTERVAL_MS } from './types.ts';
export { ManualDiscovery } from './manual.ts';
export { StaticDiscovery } from './static.ts';

export function createDiscovery(cluster: Pick<ClusterConfig, 'discovery' | 'initial_members'>): Discovery {
  switch (cluster.discovery.type) {
    case 'static':
      return new StaticDiscovery(cluster.initial_members);
    case 'manual':
      return new ManualDiscovery();
  }
}

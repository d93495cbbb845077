// Static discovery (cluster.discovery.type "static", the default): the founders' list,
// cluster.initial_members, doubles as the seed list. A joiner's config is a copy of a founder's
// with its own node_id, ports and data dir: it dials the founders it names.

import type { Discovery, Seed } from './types.ts';

export class StaticDiscovery implements Discovery {
  readonly type = 'static';
  private readonly list: readonly Seed[];

  /** `members`: cluster.initial_members (node id and Raft address each). */
  constructor(members: ReadonlyArray<{ node_id: number; address: string }>) {
    this.list = members.map((m) => ({ address: m.address, nodeId: m.node_id }));
  }

  seeds(): Promise<Seed[]> {
    return Promise.resolve(this.list.map((s) => ({ ...s })));
  }
}

// A NodeStatus as a three-node cluster's node 1 reports it (src/http/status.ts), for
// tests of what serves and what prints a status: node 1 leads `__metadata` with one follower
// caught up and one 15 entries behind and disconnected, and follows `orders-0` whose leader
// it does not know.
import type { NodeStatus } from '../../src/http/status.ts';

export function clusterStatus(): NodeStatus {
  return {
    nodeId: 1,
    clusterId: 'k8Yq3',
    mode: 'cluster',
    controllerId: 1,
    kafka: { host: '127.0.0.1', port: 9092 },
    brokers: [
      { nodeId: 3, host: '127.0.0.1', port: 9094, connected: false },
      { nodeId: 1, host: '127.0.0.1', port: 9092, connected: true },
      { nodeId: 2, host: '127.0.0.1', port: 9093, connected: true },
    ],
    groups: [
      {
        group: '__metadata',
        state: 'leader',
        term: 4,
        leader: 1,
        commit: 120,
        applied: 120,
        firstIndex: 1,
        lastIndex: 135,
        storageId: 'storage-1',
        voters: [1, 2, 3],
        learners: [],
        followers: [
          { id: 2, match: 135, lag: 0, state: 'replicate', active: true, storageId: 'storage-2', identityOk: true },
          { id: 3, match: 120, lag: 15, state: 'probe', active: false, storageId: 'storage-3', identityOk: true },
        ],
      },
      {
        group: 'orders-0',
        state: 'follower',
        term: 2,
        leader: 0,
        commit: 7,
        applied: 6,
        firstIndex: 1,
        lastIndex: 7,
        storageId: 'storage-1',
        voters: [1, 2, 3],
        learners: [],
        followers: [],
      },
    ],
  };
}

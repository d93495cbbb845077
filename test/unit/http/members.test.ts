// GET /status members and learners (src/http/members.ts), issue 11: "GET /status shows members,
// their roles in each group, learners catching up".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnersCatchingUp, memberStatuses } from '../../../src/http/members.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

test('members: every broker with its addresses, connection and role in __metadata', () => {
  const brokers = [
    { nodeId: 4, host: 'h4', port: 9095, rack: null, raftAddress: 'h4:9195' },
    { nodeId: 1, host: 'h1', port: 9092, rack: null, raftAddress: 'h1:9192' },
    { nodeId: 2, host: 'h2', port: 9093, rack: null, raftAddress: 'h2:9193' },
    { nodeId: 5, host: 'h5', port: 9096, rack: null },
  ];
  const metadata = { ...clusterStatus().groups[0]!, voters: [1, 2], learners: [4] };
  assert.deepEqual(memberStatuses(brokers, 1, new Set([4]), metadata), [
    { nodeId: 1, kafka: 'h1:9092', raftAddress: 'h1:9192', connected: true, metadata: 'voter' },
    { nodeId: 2, kafka: 'h2:9093', raftAddress: 'h2:9193', connected: false, metadata: 'voter' },
    { nodeId: 4, kafka: 'h4:9095', raftAddress: 'h4:9195', connected: true, metadata: 'learner' },
    { nodeId: 5, kafka: 'h5:9096', raftAddress: null, connected: false, metadata: 'none' },
  ]);
});

test('learners catching up: only from groups led here, only learners, with their lag', () => {
  const [metadata, orders] = clusterStatus().groups;
  const led = {
    ...metadata!,
    voters: [1, 2],
    learners: [3],
  };
  // orders-0 is followed here: its learners' lag is not known on this node.
  const followed = { ...orders!, learners: [4] };
  assert.deepEqual(learnersCatchingUp([led, followed]), [{ group: '__metadata', nodeId: 3, lag: 15, active: false }]);
  assert.deepEqual(learnersCatchingUp([metadata!]), [], 'voters are not learners');
});

// `runnel cluster status` (src/cli/runnel/cluster-status.ts): how the statuses of several
// brokers merge into one view, and the table printed from it. Issue 11: "runnel cluster status
// shows members, their roles in each group, learners catching up, and reassignments in flight".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClusterView, mergeStatuses } from '../../../src/cli/runnel/cluster-status.ts';
import type { NodeStatus } from '../../../src/http/status.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

/** Node 1 leads __metadata (learner 4 is 15 behind); node 2 leads orders-0. */
function statuses(): { one: NodeStatus; two: NodeStatus } {
  const one = clusterStatus();
  one.members = [
    { nodeId: 1, kafka: '127.0.0.1:9092', raftAddress: '127.0.0.1:9192', connected: true, metadata: 'voter' },
    { nodeId: 2, kafka: '127.0.0.1:9093', raftAddress: '127.0.0.1:9193', connected: true, metadata: 'voter' },
    { nodeId: 3, kafka: '127.0.0.1:9094', raftAddress: '127.0.0.1:9194', connected: false, metadata: 'voter' },
    { nodeId: 4, kafka: '127.0.0.1:9095', raftAddress: '127.0.0.1:9195', connected: true, metadata: 'learner' },
  ];
  one.learners = [{ group: '__metadata', nodeId: 4, lag: 15, active: true }];
  one.reassignments = [{ topic: 'orders', partition: 0, replicas: [1, 2, 3], target: [4, 2, 3], adding: [4], removing: [1] }];
  one.reassigningPartitions = 1;
  const two: NodeStatus = {
    ...clusterStatus(),
    nodeId: 2,
    groups: [
      { ...clusterStatus().groups[0]!, state: 'follower', followers: [] },
      { ...clusterStatus().groups[1]!, state: 'leader', leader: 2, term: 3, commit: 9 },
    ],
    learners: [],
  };
  return { one, two };
}

test("per group the leader's own report wins; unreachable members say why", () => {
  const { one, two } = statuses();
  const view = mergeStatuses(
    one,
    new Map<number, NodeStatus | Error>([
      [2, two],
      [3, new Error('ECONNREFUSED')],
      [4, { ...two, nodeId: 4, groups: [] }],
    ]),
  );
  assert.equal(view.askedNode, 1);
  assert.deepEqual(
    view.groups.map((g) => [g.group, g.leader, g.term, g.reportedBy]),
    [
      ['__metadata', 1, 4, 1],
      ['orders-0', 2, 3, 2],
    ],
  );
  assert.deepEqual(
    view.members.map((m) => [m.nodeId, m.reachable, m.error]),
    [
      [1, true, undefined],
      [2, true, undefined],
      [3, false, 'ECONNREFUSED'],
      [4, true, undefined],
    ],
  );
  assert.deepEqual(view.learners, [{ group: '__metadata', nodeId: 4, lag: 15, active: true }]);
});

test('the table shows members with roles, groups with voters and learners, and learners catching up', () => {
  const { one, two } = statuses();
  const text = formatClusterView(
    mergeStatuses(
      one,
      new Map<number, NodeStatus | Error>([
        [2, two],
        [3, new Error('ECONNREFUSED')],
        [4, two],
      ]),
    ),
  );
  assert.equal(
    text,
    [
      'cluster k8Yq3  mode cluster  controller 1  (asked broker 1)',
      '',
      'BROKER  KAFKA           RAFT            METADATA  CONNECTED  STATUS',
      '1       127.0.0.1:9092  127.0.0.1:9192  voter     self       ok',
      '2       127.0.0.1:9093  127.0.0.1:9193  voter     yes        ok',
      '3       127.0.0.1:9094  127.0.0.1:9194  voter     no         unreachable: ECONNREFUSED',
      '4       127.0.0.1:9095  127.0.0.1:9195  learner   yes        ok',
      '',
      'GROUP       LEADER  TERM  COMMIT  VOTERS  LEARNERS',
      '__metadata  1       4     120     1,2,3   -',
      'orders-0    2       3     9       1,2,3   -',
      '',
      'learners catching up (as their group leaders see them):',
      'GROUP       LEARNER  LAG  ACTIVE',
      '__metadata  4        15   yes',
      '',
      'reassignments in flight (1):',
      'PARTITION  REPLICAS  TARGET  ADDING  REMOVING',
      'orders-0   1,2,3     4,2,3   4       1',
      '',
    ].join('\n'),
  );
});

test('a broker of an older version (no members in its status) is shown from its brokers list', () => {
  const old = clusterStatus();
  const view = mergeStatuses(old, new Map());
  assert.deepEqual(
    view.members.map((m) => [m.nodeId, m.kafka, m.metadata, m.reachable]),
    [
      [3, '127.0.0.1:9094', 'voter', false],
      [1, '127.0.0.1:9092', 'voter', true],
      [2, '127.0.0.1:9093', 'voter', false],
    ],
  );
  assert.match(formatClusterView(view), /learners catching up: none\n\nreassignments in flight: not reported by broker 1 \(an older version\)\n$/);
});

test('issue 11: reassignments in flight come from the broker asked (the metadata is replicated); beyond the listed ones the count says how many more', () => {
  const { one } = statuses();
  assert.match(formatClusterView(mergeStatuses({ ...one, reassignments: [], reassigningPartitions: 0 }, new Map())), /reassignments in flight: none\n$/);
  const many = formatClusterView(mergeStatuses({ ...one, reassigningPartitions: 1_200 }, new Map()));
  assert.match(many, /reassignments in flight \(1200, the first 1 listed\):\n/);
});

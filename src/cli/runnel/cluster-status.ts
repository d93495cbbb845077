// `runnel cluster status`: the cluster as its brokers see it. The broker asked first (the
// bootstrap's admin API) names the members; each other member is then asked for its own
// GET /status (its admin address found through DescribeConfigs on its Kafka address), because
// only a group's leader knows how far its followers and learners are behind. The view merges
// them: per group the leader's own report, the learners catching up from every leader, and
// which members could not be asked. Pure formatting is apart from the fetching, for tests.

import type { ConnectionLimits, KafkaConnection } from '../../client/connection.ts';
import { adminAddressOf } from '../../client/admin-address.ts';
import type { LearnerStatus, MemberStatus } from '../../http/members.ts';
import type { NodeStatus } from '../../http/status.ts';
import type { ReassignmentStatus } from '../../http/reassignments.ts';
import type { GroupStatus } from '../../raft-host/group-status.ts';
import { fetchStatus, statusUrl } from '../status.ts';
import { table } from '../table.ts';
import { CommandFailed } from './command.ts';

/** Per member asked: connect, DescribeConfigs, GET /status; a dead member must not hold the command for long. */
export const MEMBER_TIMEOUT_MS = 3_000;
/** Members asked at once. */
const MEMBERS_IN_PARALLEL = 8;

export interface MemberView extends MemberStatus {
  /** Whether this command got the member's own status. */
  reachable: boolean;
  /** Why not, when it did not. */
  error?: string;
}

export interface GroupView {
  group: string;
  topicId?: string;
  leader: number;
  term: number;
  commit: number;
  voters: number[];
  learners: number[];
  /** The node whose report this is: the leader's when it answered. */
  reportedBy: number;
}

export interface ClusterView {
  clusterId: string;
  mode: 'single' | 'cluster';
  controllerId: number;
  /** The broker asked first. */
  askedNode: number;
  members: MemberView[];
  groups: GroupView[];
  learners: LearnerStatus[];
  /** Reassignments in flight by the asked broker's metadata; undefined when it does not report them (an older version). */
  reassignments?: ReassignmentStatus[];
  /** How many partitions are moving (more than listed when the list was capped). */
  reassigningPartitions?: number;
}

/** Members from a status; a broker of an older version reports only `brokers`. */
function membersOf(status: NodeStatus): MemberStatus[] {
  if (status.members) return status.members;
  const metadata = status.groups.find((g) => g.group === '__metadata');
  return status.brokers.map((b) => ({
    nodeId: b.nodeId,
    kafka: `${b.host}:${b.port}`,
    raftAddress: null,
    connected: b.connected,
    metadata: metadata?.voters.includes(b.nodeId) ? 'voter' : metadata?.learners.includes(b.nodeId) ? 'learner' : 'none',
  }));
}

function groupView(g: GroupStatus, reportedBy: number): GroupView {
  return {
    group: g.group,
    ...(g.topicId !== undefined && { topicId: g.topicId }),
    leader: g.leader,
    term: g.term,
    commit: g.commit,
    voters: g.voters,
    learners: g.learners,
    reportedBy,
  };
}

/** Merges statuses: `asked` first, `others` by node id (an Error for a member that could not be asked). Pure. */
export function mergeStatuses(asked: NodeStatus, others: ReadonlyMap<number, NodeStatus | Error>): ClusterView {
  const all = new Map<number, NodeStatus>([[asked.nodeId, asked]]);
  for (const [id, s] of others) if (!(s instanceof Error)) all.set(id, s);
  const members: MemberView[] = membersOf(asked).map((m) => {
    const other = m.nodeId === asked.nodeId ? asked : others.get(m.nodeId);
    return other instanceof Error || other === undefined
      ? { ...m, reachable: false, error: other instanceof Error ? other.message : 'not asked' }
      : { ...m, reachable: true };
  });
  // Per group: the report of the node that leads it (it knows its followers), else the freshest term seen.
  const groups = new Map<string, { view: GroupView; fromLeader: boolean }>();
  for (const [id, s] of all) {
    for (const g of s.groups) {
      const known = groups.get(g.group);
      const fromLeader = g.state === 'leader';
      if (!known || (fromLeader && !known.fromLeader) || (fromLeader === known.fromLeader && g.term > known.view.term)) {
        groups.set(g.group, { view: groupView(g, id), fromLeader });
      }
    }
  }
  const learners = [...all.values()].flatMap((s) => s.learners ?? []);
  const controller = [...all.values()].find((s) => s.controllerId > 0)?.controllerId ?? 0;
  return {
    clusterId: asked.clusterId,
    mode: asked.mode,
    controllerId: asked.controllerId > 0 ? asked.controllerId : controller,
    askedNode: asked.nodeId,
    members,
    groups: [...groups.values()].map((g) => g.view).sort((a, b) => (a.group === '__metadata' ? -1 : b.group === '__metadata' ? 1 : a.group < b.group ? -1 : 1)),
    learners: learners.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.nodeId - b.nodeId)),
    // The metadata is replicated: the asked broker's applied copy is the view (it may lag the controller by a commit).
    ...(asked.reassignments && { reassignments: asked.reassignments, reassigningPartitions: asked.reassigningPartitions ?? asked.reassignments.length }),
  };
}

function ids(list: readonly number[]): string {
  return list.length === 0 ? '-' : list.join(',');
}

/** The table form of a cluster view. Pure. */
export function formatClusterView(view: ClusterView): string {
  const controller = view.controllerId > 0 ? String(view.controllerId) : 'unknown';
  const out = [`cluster ${view.clusterId}  mode ${view.mode}  controller ${controller}  (asked broker ${view.askedNode})`, ''];
  out.push(
    table(
      ['BROKER', 'KAFKA', 'RAFT', 'METADATA', 'CONNECTED', 'STATUS'],
      view.members.map((m) => [
        String(m.nodeId),
        m.kafka,
        m.raftAddress ?? '-',
        view.mode === 'single' ? '-' : m.metadata,
        m.nodeId === view.askedNode ? 'self' : m.connected ? 'yes' : 'no',
        m.reachable ? 'ok' : `unreachable: ${m.error ?? ''}`,
      ]),
    ),
  );
  if (view.mode === 'cluster') {
    out.push('');
    out.push(
      table(
        ['GROUP', 'LEADER', 'TERM', 'COMMIT', 'VOTERS', 'LEARNERS'],
        view.groups.map((g) => [g.group, g.leader > 0 ? String(g.leader) : 'none', String(g.term), String(g.commit), ids(g.voters), ids(g.learners)]),
      ),
    );
    out.push('');
    if (view.learners.length === 0) out.push('learners catching up: none');
    else {
      out.push('learners catching up (as their group leaders see them):');
      out.push(
        table(
          ['GROUP', 'LEARNER', 'LAG', 'ACTIVE'],
          view.learners.map((l) => [l.group, String(l.nodeId), String(l.lag), l.active ? 'yes' : 'no']),
        ),
      );
    }
    out.push('');
    out.push(...reassignmentLines(view));
  }
  return `${out.join('\n')}\n`;
}

function reassignmentLines(view: ClusterView): string[] {
  const listed = view.reassignments;
  if (listed === undefined) return [`reassignments in flight: not reported by broker ${view.askedNode} (an older version)`];
  const total = view.reassigningPartitions ?? listed.length;
  if (total === 0) return ['reassignments in flight: none'];
  const heading = total > listed.length ? `reassignments in flight (${total}, the first ${listed.length} listed):` : `reassignments in flight (${total}):`;
  return [
    heading,
    table(
      ['PARTITION', 'REPLICAS', 'TARGET', 'ADDING', 'REMOVING'],
      listed.map((r) => [`${r.topic}-${r.partition}`, ids(r.replicas), ids(r.target), ids(r.adding), ids(r.removing)]),
    ),
  ];
}

/** Opens a Kafka connection to a member (with the command's TLS and SASL: Target.connect). */
export type ConnectTo = (address: string, limits: Partial<ConnectionLimits>) => Promise<KafkaConnection>;

/** One member's own status, reached through its Kafka address; an Error saying why not. */
async function memberStatus(member: MemberStatus, connect: ConnectTo, headers: Record<string, string>): Promise<NodeStatus | Error> {
  let connection: KafkaConnection | undefined;
  try {
    connection = await connect(member.kafka, { connectTimeoutMs: MEMBER_TIMEOUT_MS, requestTimeoutMs: MEMBER_TIMEOUT_MS });
    const admin = await adminAddressOf(connection);
    return await fetchStatus(statusUrl(admin), MEMBER_TIMEOUT_MS, headers);
  } catch (err) {
    return err as Error;
  } finally {
    connection?.close();
  }
}

/** Asks the broker at `admin` and then every other member it names, each with the same credentials (`headers`). */
export async function gatherClusterView(admin: string, connect: ConnectTo, headers: Record<string, string> = {}): Promise<ClusterView> {
  let asked: NodeStatus;
  try {
    asked = await fetchStatus(statusUrl(admin), undefined, headers);
  } catch (err) {
    throw new CommandFailed((err as Error).message, { cause: err });
  }
  const others = new Map<number, NodeStatus | Error>();
  const pending = asked.mode === 'cluster' ? membersOf(asked).filter((m) => m.nodeId !== asked.nodeId) : [];
  for (let i = 0; i < pending.length; i += MEMBERS_IN_PARALLEL) {
    const batch = pending.slice(i, i + MEMBERS_IN_PARALLEL);
    const results = await Promise.all(batch.map((m) => memberStatus(m, connect, headers)));
    batch.forEach((m, j) => others.set(m.nodeId, results[j]!));
  }
  return mergeStatuses(asked, others);
}

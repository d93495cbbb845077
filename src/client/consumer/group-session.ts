// Runs a consumer's membership of a group: carries out what the GroupMembership state machine
// asks (JoinGroup, SyncGroup as leader or follower, Heartbeat, LeaveGroup at the coordinator;
// assign and revoke at the fetcher, with commit-on-revoke and the rebalance listeners), feeds
// the answers back to it with the time, and commits processed offsets every autoCommitIntervalMs.

import { heartbeat, joinGroup, leaveGroup, syncGroup } from '../../protocol/apis/index.ts';
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from '../../protocol/consumer-protocol.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Cluster } from '../cluster.ts';
import { ConnectionError } from '../connection.ts';
import { KafkaError, kafkaError } from '../errors.ts';
import { backoffMs } from '../limits.ts';
import type { Assignor, AssignorMember } from './assignor.ts';
import type { Fetcher, StartAt } from './fetcher.ts';
import { GroupMembership, type MembershipAction } from './membership.ts';
import { commitOffsets, fetchCommitted, isCoordinatorRetriable } from './offsets.ts';
import { Signal } from './signal.ts';

export interface RebalanceListeners {
  /** Called after partitions are assigned and their start positions looked up. */
  onAssigned?: (partitions: TopicPartitions) => void | Promise<void>;
  /** Called before partitions are taken away (after the auto-commit of their offsets): commit here when committing by hand. */
  onRevoked?: (partitions: TopicPartitions) => void | Promise<void>;
  /** Called when partitions were lost (the member was thrown out); committing is no longer possible. Defaults to onRevoked. */
  onLost?: (partitions: TopicPartitions) => void | Promise<void>;
}

export interface GroupSessionOptions extends RebalanceListeners {
  groupId: string;
  topics: string[];
  assignors: Assignor[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  onError: (err: Error) => void;
  /** Resolves when the application has finished with the records it holds (a handler running). */
  idle: () => Promise<void>;
}

/** Commits and offset look-ups are tried this often when the coordinator moves under them. */
const COORDINATOR_ATTEMPTS_MAX = 5;

export class GroupSession {
  private readonly cluster: Cluster;
  private readonly fetcher: Fetcher;
  private readonly options: GroupSessionOptions;
  readonly membership: GroupMembership;
  private readonly wake = new Signal();
  private stopping = false;
  private done: Promise<void> = Promise.resolve();
  private committedAt = new Map<string, number>();
  private nextCommitAtMs = 0;
  /** Set when membership failed for good; the consumer surfaces it. */
  failure: Error | null = null;

  constructor(cluster: Cluster, fetcher: Fetcher, options: GroupSessionOptions) {
    this.cluster = cluster;
    this.fetcher = fetcher;
    this.options = options;
    const cooperative = options.assignors.every((a) => a.rebalanceProtocol === 'COOPERATIVE');
    this.membership = new GroupMembership({
      // KIP-429: cooperative only when every assignor offered supports it, as Kafka decides.
      rebalanceProtocol: cooperative ? 'COOPERATIVE' : 'EAGER',
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      backoffMs: (failures) => backoffMs(failures, cluster.limits),
    });
  }

  start(): void {
    this.nextCommitAtMs = Date.now() + this.options.autoCommitIntervalMs;
    this.done = this.run();
  }

  /** Leaves the group (committing and revoking what it owns) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.notify();
    await this.done;
  }

  /** Commits `offsets` (default: every processed position) under the current generation. */
  async commit(offsets = this.fetcher.processedOffsets()): Promise<void> {
    const m = this.membership;
    if (m.state !== 'stable')
      throw kafkaError(
        ErrorCode.REBALANCE_IN_PROGRESS,
        `commit in group ${this.options.groupId}`,
        'the group is rebalancing: the partitions may move, commit again after onAssigned',
      );
    await this.commitAsMember(offsets);
  }

  /** Commits under the generation the member last joined, whatever the state: commit-on-revoke runs while the member rejoins. */
  private async commitAsMember(offsets: ReturnType<Fetcher['processedOffsets']>): Promise<void> {
    const m = this.membership;
    await this.withCoordinator(() => commitOffsets(this.cluster, this.options.groupId, { generationId: m.generationId, memberId: m.memberId }, offsets));
    for (const [key, { offset }] of offsets) this.committedAt.set(key, offset);
  }

  private async run(): Promise<void> {
    const queue: MembershipAction[] = this.membership.start(Date.now());
    while (!this.stopping && !this.failure) {
      while (queue.length > 0 && !this.stopping) queue.push(...(await this.perform(queue.shift()!)));
      if (this.stopping) break;
      await this.maybeAutoCommit();
      const now = Date.now();
      await this.wake.wait(Math.min(this.membership.nextWakeMs(), this.options.autoCommit ? this.nextCommitAtMs : Infinity) - now);
      queue.push(...this.membership.tick(Date.now()));
    }
    for (const action of this.membership.leave()) await this.perform(action);
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.options.autoCommit || Date.now() < this.nextCommitAtMs) return;
    this.nextCommitAtMs = Date.now() + this.options.autoCommitIntervalMs;
    const changed = new Map([...this.fetcher.processedOffsets()].filter(([key, { offset }]) => this.committedAt.get(key) !== offset));
    if (changed.size === 0 || this.membership.state !== 'stable') return;
    await this.commit(changed).catch((err) => this.options.onError(err));
  }

  private async perform(action: MembershipAction): Promise<MembershipAction[]> {
    const m = this.membership;
    try {
      switch (action.type) {
        case 'find-coordinator':
          this.cluster.invalidateCoordinator(this.options.groupId);
          return [];
        case 'join': {
          const coordinator = await this.cluster.coordinator(this.options.groupId);
          const answer = await this.cluster.request(
            coordinator,
            joinGroup,
            {
              groupId: this.options.groupId,
              sessionTimeoutMs: this.options.sessionTimeoutMs,
              rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
              memberId: action.memberId,
              protocolType: CONSUMER_PROTOCOL_TYPE,
              protocols: this.options.assignors.map((a) => ({
                name: a.name,
                metadata: encodeSubscription({ topics: this.options.topics, ownedPartitions: action.owned, generationId: action.generationId }),
              })),
            },
            'group',
          );
          return m.onJoin(answer, Date.now());
        }
        case 'sync': {
          const assignments = action.leaderOf ? await this.assign(action.protocol, action.leaderOf) : [];
          const coordinator = await this.cluster.coordinator(this.options.groupId);
          const answer = await this.cluster.request(
            coordinator,
            syncGroup,
            {
              groupId: this.options.groupId,
              generationId: action.generationId,
              memberId: action.memberId,
              protocolType: CONSUMER_PROTOCOL_TYPE,
              protocolName: action.protocol,
              assignments,
            },
            'group',
          );
          let assigned: TopicPartitions = [];
          if (answer.errorCode === ErrorCode.NONE) assigned = decodeAssignment(answer.assignment).assignedPartitions;
          return m.onSync(answer.errorCode, assigned, Date.now());
        }
        case 'heartbeat': {
          const coordinator = await this.cluster.coordinator(this.options.groupId);
          const answer = await this.cluster.request(
            coordinator,
            heartbeat,
            {
              groupId: this.options.groupId,
              generationId: action.generationId,
              memberId: action.memberId,
            },
            'group',
          );
          return m.onHeartbeat(answer.errorCode, action.generationId, Date.now());
        }
        case 'revoke':
          await this.revoke(action.partitions, action.commit);
          return [];
        case 'assign':
          await this.startPartitions(action.partitions);
          return [];
        case 'leave': {
          const coordinator = await this.cluster.coordinator(this.options.groupId);
          await this.cluster.request(
            coordinator,
            leaveGroup,
            {
              groupId: this.options.groupId,
              memberId: action.memberId,
              members: [{ memberId: action.memberId }],
            },
            'group',
          );
          return [];
        }
        case 'fail':
          this.failure = new KafkaError(action.errorCode, `group ${this.options.groupId}: ${action.message}`);
          this.options.onError(this.failure);
          return [];
      }
    } catch (err) {
      if (action.type === 'leave') return [];
      if (action.type === 'assign') {
        this.options.onError(
          new Error(`group ${this.options.groupId}: cannot start the assigned partitions, joining again: ${(err as Error).message}`, { cause: err }),
        );
        return m.restart(Date.now());
      }
      if (err instanceof ConnectionError || (err instanceof KafkaError && err.retriable)) {
        this.cluster.invalidateCoordinator(this.options.groupId);
        return m.onRequestFailed(Date.now());
      }
      this.options.onError(err as Error);
      return m.onRequestFailed(Date.now());
    }
  }

  /** The leader's work: run the chosen assignor over every member's subscription. */
  private async assign(protocol: string, members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.options.assignors.find((a) => a.name === protocol);
    if (!assignor) throw new Error(`the coordinator chose assignor "${protocol}", which this consumer does not offer`);
    const subscriptions: AssignorMember[] = members.map(({ memberId, metadata }) => {
      try {
        const s = decodeSubscription(metadata);
        return { memberId, topics: s.topics, ownedPartitions: s.ownedPartitions, generationId: s.generationId };
      } catch (err) {
        this.options.onError(
          new Error(`group ${this.options.groupId}: member ${memberId} sent a subscription that cannot be read (${(err as Error).message}); it gets nothing`),
        );
        return { memberId, topics: [], ownedPartitions: [], generationId: -1 };
      }
    });
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))];
    const meta = await this.cluster.metadata(topics, { refresh: true });
    const counts = new Map(meta.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => [t.name, t.partitions.length]));
    const result = assignor.assign(subscriptions, counts);
    return subscriptions.map(({ memberId }) => ({ memberId, assignment: encodeAssignment({ assignedPartitions: result.get(memberId) ?? [] }) }));
  }

  private async revoke(partitions: TopicPartitions, commit: boolean): Promise<void> {
    // Hand out nothing more from these, so nothing is processed after their offsets are committed.
    this.fetcher.hold(partitions);
    await this.options.idle();
    if (commit && this.options.autoCommit) {
      // Commit-on-revoke: whoever gets these next resumes after what was processed here.
      await this.commitAsMember(this.fetcher.processedOffsets(partitions)).catch((err) => this.options.onError(err));
    }
    const listener = commit ? this.options.onRevoked : (this.options.onLost ?? this.options.onRevoked);
    try {
      await listener?.(partitions);
    } catch (err) {
      this.options.onError(new Error(`the ${commit ? 'onRevoked' : 'onLost'} listener threw: ${(err as Error).message}`, { cause: err }));
    }
    this.fetcher.remove(partitions);
  }

  private async startPartitions(partitions: TopicPartitions): Promise<void> {
    const committed = await this.withCoordinator(() => fetchCommitted(this.cluster, this.options.groupId, partitions));
    const starts = new Map<string, StartAt>();
    for (const [key, offset] of committed) {
      if (offset >= 0) {
        starts.set(key, { offset });
        this.committedAt.set(key, offset);
      }
    }
    this.fetcher.add(partitions, starts);
    try {
      await this.options.onAssigned?.(partitions);
    } catch (err) {
      this.options.onError(new Error(`the onAssigned listener threw: ${(err as Error).message}`, { cause: err }));
    }
  }

  private async withCoordinator<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (!isCoordinatorRetriable(err) || attempt >= COORDINATOR_ATTEMPTS_MAX) throw err;
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, this.cluster.limits)));
      }
    }
  }
}

// A consumer's membership of a group under the classic protocol, as a pure state machine: the
// Consumer feeds it events (answers to JoinGroup, SyncGroup, Heartbeat; a failed request; the
// clock) with the time as an input, and it answers with the actions to take, in order. It does
// no I/O and reads no clock, so every path (rebalance in progress, unknown member id, illegal
// generation, fenced, a lost coordinator) is tested by feeding it events.
//
//   unjoined --join--> joining --JoinGroup ok--> syncing --SyncGroup ok--> stable --heartbeat--> stable
//        ^                |  MEMBER_ID_REQUIRED: join again with the id (KIP-394)      |
//        +-- backoff <----+-- retriable errors, REBALANCE_IN_PROGRESS, lost member ---+
//
// Revocation (KIP-429): EAGER members revoke everything they own before they join again;
// COOPERATIVE members keep consuming, and after SyncGroup revoke only what their new assignment
// lacks, then join once more so the partitions they gave up can be handed on. A member that
// learns it was thrown out (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID) has *lost*
// its partitions: they may already be someone else's, so it must not commit for them.

import { ErrorCode, errorName } from '../../protocol/errors.ts';
import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';
import { pairsOf, toTopicPartitions, tpKey } from './assignor.ts';

export type MembershipState = 'unjoined' | 'joining' | 'syncing' | 'stable' | 'leaving' | 'left' | 'failed';

export interface MembershipConfig {
  rebalanceProtocol: 'EAGER' | 'COOPERATIVE';
  heartbeatIntervalMs: number;
  /** Waits after failures in a row: failures → ms (1 → the minimum, doubling to a maximum). */
  backoffMs: (failures: number) => number;
}

export type MembershipAction =
  | { type: 'find-coordinator' }
  | { type: 'join'; memberId: string; owned: TopicPartitions; generationId: number }
  /** The leader computes the assignment from these members (with `protocol`) and sends it in its SyncGroup. */
  | { type: 'sync'; memberId: string; generationId: number; protocol: string; leaderOf: { memberId: string; metadata: Buffer }[] | null }
  | { type: 'heartbeat'; memberId: string; generationId: number }
  /** Stop fetching these; `commit`: commit their positions first (commit-on-revoke) — false when they were lost. */
  | { type: 'revoke'; partitions: TopicPartitions; commit: boolean }
  | { type: 'assign'; partitions: TopicPartitions }
  | { type: 'leave'; memberId: string }
  | { type: 'fail'; errorCode: number; message: string };

export interface JoinAnswer {
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

/** Errors after which retrying cannot help: the consumer stops and reports them. */
const FATAL = new Set<number>([
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.INVALID_GROUP_ID,
]);
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
/** The coordinator no longer knows us as a member of the current generation. */
const MEMBER_LOST = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID]);

export class GroupMembership {
  state: MembershipState = 'unjoined';
  memberId = '';
  generationId = -1;
  /** What this member consumes now; the Consumer fetches exactly these. */
  owned: TopicPartitions = [];
  private readonly config: MembershipConfig;
  private failures = 0;
  private joinAtMs = 0;
  private nextHeartbeatAtMs = Infinity;
  private heartbeatInFlight = false;

  constructor(config: MembershipConfig) {
    this.config = config;
  }

  /** Starts (or restarts after `unsubscribe`) membership: join at once. */
  start(nowMs: number): MembershipAction[] {
    this.state = 'unjoined';
    this.joinAtMs = nowMs;
    return this.tick(nowMs);
  }

  /** The time something is due (a join after backoff, a heartbeat), for the Consumer's timer. */
  nextWakeMs(): number {
    if (this.state === 'unjoined') return this.joinAtMs;
    if (this.state === 'stable' && !this.heartbeatInFlight) return this.nextHeartbeatAtMs;
    return Infinity;
  }

  tick(nowMs: number): MembershipAction[] {
    if (this.state === 'unjoined' && nowMs >= this.joinAtMs) {
      this.state = 'joining';
      const revoke: MembershipAction[] = [];
      if (this.config.rebalanceProtocol === 'EAGER' && this.owned.length > 0) {
        revoke.push({ type: 'revoke', partitions: this.owned, commit: true });
        this.owned = [];
      }
      return [...revoke, { type: 'join', memberId: this.memberId, owned: this.owned, generationId: this.generationId }];
    }
    if (this.state === 'stable' && !this.heartbeatInFlight && nowMs >= this.nextHeartbeatAtMs) {
      this.heartbeatInFlight = true;
      return [{ type: 'heartbeat', memberId: this.memberId, generationId: this.generationId }];
    }
    return [];
  }

  onJoin(answer: JoinAnswer, nowMs: number): MembershipAction[] {
    if (this.state !== 'joining') return [];
    const code = answer.errorCode;
    if (code === ErrorCode.NONE) {
      this.failures = 0;
      this.memberId = answer.memberId;
      this.generationId = answer.generationId;
      this.state = 'syncing';
      const leaderOf = answer.leader === answer.memberId ? answer.members : null;
      return [{ type: 'sync', memberId: this.memberId, generationId: this.generationId, protocol: answer.protocolName ?? '', leaderOf }];
    }
    if (code === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the coordinator named our member id; join again with it at once.
      this.memberId = answer.memberId;
      this.state = 'unjoined';
      this.joinAtMs = nowMs;
      return this.tick(nowMs);
    }
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    return this.retryOrFail(code, `JoinGroup`, nowMs);
  }

  onSync(errorCode: number, assignment: TopicPartitions, nowMs: number): MembershipAction[] {
    if (this.state !== 'syncing') return [];
    if (errorCode !== ErrorCode.NONE) {
      if (MEMBER_LOST.has(errorCode)) return this.lost(errorCode, nowMs);
      return this.retryOrFail(errorCode, 'SyncGroup', nowMs);
    }
    const next = new Set(pairsOf(assignment).map(([t, p]) => tpKey(t, p)));
    const had = new Set(pairsOf(this.owned).map(([t, p]) => tpKey(t, p)));
    const revoked = toTopicPartitions(pairsOf(this.owned).filter(([t, p]) => !next.has(tpKey(t, p))));
    const added = toTopicPartitions(pairsOf(assignment).filter(([t, p]) => !had.has(tpKey(t, p))));
    this.owned = toTopicPartitions(pairsOf(assignment));
    this.state = 'stable';
    this.heartbeatInFlight = false;
    this.nextHeartbeatAtMs = nowMs + this.config.heartbeatIntervalMs;
    const actions: MembershipAction[] = [];
    if (revoked.length > 0) actions.push({ type: 'revoke', partitions: revoked, commit: true });
    if (added.length > 0) actions.push({ type: 'assign', partitions: added });
    if (revoked.length > 0 && this.config.rebalanceProtocol === 'COOPERATIVE') {
      // KIP-429: what we gave up is withheld from its new member until we join again without it.
      this.state = 'unjoined';
      this.joinAtMs = nowMs;
      actions.push(...this.tick(nowMs));
    }
    return actions;
  }

  onHeartbeat(errorCode: number, forGeneration: number, nowMs: number): MembershipAction[] {
    if (this.state !== 'stable' || forGeneration !== this.generationId) return [];
    this.heartbeatInFlight = false;
    this.nextHeartbeatAtMs = nowMs + this.config.heartbeatIntervalMs;
    if (errorCode === ErrorCode.NONE) {
      this.failures = 0;
      return [];
    }
    if (errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
      this.state = 'unjoined';
      this.joinAtMs = nowMs;
      return this.tick(nowMs);
    }
    if (MEMBER_LOST.has(errorCode)) return this.lost(errorCode, nowMs);
    return this.retryOrFail(errorCode, 'Heartbeat', nowMs, true);
  }

  /** A request to the coordinator failed without an answer (connection lost, timeout). */
  onRequestFailed(nowMs: number): MembershipAction[] {
    if (this.state === 'stable') {
      // Keep consuming while we look for the coordinator; the next heartbeat tells us where we stand.
      this.heartbeatInFlight = false;
      this.failures++;
      this.nextHeartbeatAtMs = nowMs + this.config.backoffMs(this.failures);
      return [{ type: 'find-coordinator' }];
    }
    if (this.state === 'joining' || this.state === 'syncing') return this.retryOrFail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'request', nowMs);
    return [];
  }

  /**
   * The consumer could not start what it was assigned (no committed offsets could be read): it
   * gives up everything it owns without committing and joins again, so the group hands the
   * partitions out anew instead of leaving them unread.
   */
  restart(nowMs: number): MembershipAction[] {
    if (this.state !== 'stable') return [];
    const actions: MembershipAction[] = this.owned.length > 0 ? [{ type: 'revoke', partitions: this.owned, commit: false }] : [];
    this.owned = [];
    this.state = 'unjoined';
    this.joinAtMs = nowMs + this.config.backoffMs(++this.failures);
    return actions;
  }

  /** Leaves the group: commit and revoke what we own, then LeaveGroup. */
  leave(): MembershipAction[] {
    if (this.state === 'left' || this.state === 'failed') return [];
    const actions: MembershipAction[] = [];
    if (this.owned.length > 0) actions.push({ type: 'revoke', partitions: this.owned, commit: true });
    if (this.memberId !== '') actions.push({ type: 'leave', memberId: this.memberId });
    this.owned = [];
    this.state = 'left';
    return actions;
  }

  private lost(errorCode: number, nowMs: number): MembershipAction[] {
    const actions: MembershipAction[] = [];
    if (this.owned.length > 0) actions.push({ type: 'revoke', partitions: this.owned, commit: false });
    this.owned = [];
    this.generationId = -1;
    if (errorCode === ErrorCode.FENCED_INSTANCE_ID) {
      this.state = 'failed';
      actions.push({ type: 'fail', errorCode, message: `${errorName(errorCode)}: another consumer joined with this group instance id` });
      return actions;
    }
    this.memberId = '';
    this.state = 'unjoined';
    this.joinAtMs = nowMs;
    return [...actions, ...this.tick(nowMs)];
  }

  private retryOrFail(errorCode: number, what: string, nowMs: number, stayStable = false): MembershipAction[] {
    if (FATAL.has(errorCode)) {
      const actions: MembershipAction[] = [];
      if (this.owned.length > 0) actions.push({ type: 'revoke', partitions: this.owned, commit: false });
      this.owned = [];
      this.state = 'failed';
      return [...actions, { type: 'fail', errorCode, message: `${what} failed: ${errorName(errorCode)}` }];
    }
    this.failures++;
    const actions: MembershipAction[] = COORDINATOR_MOVED.has(errorCode) ? [{ type: 'find-coordinator' }] : [];
    if (stayStable) {
      this.nextHeartbeatAtMs = nowMs + this.config.backoffMs(this.failures);
      return actions;
    }
    this.state = 'unjoined';
    this.joinAtMs = nowMs + this.config.backoffMs(this.failures);
    return actions;
  }
}

// The classic consumer-group state machine (Kafka's GroupMetadata + GroupCoordinator, the
// protocol before KIP-848), as a pure core: every method takes the current time as an input and
// returns what must happen at the edges, never touching timers, sockets or disks itself.
//
//   Empty ──join──► PreparingRebalance ──all joined / rebalance timeout──► CompletingRebalance
//     ▲                 ▲        ▲                                              │ leader's SyncGroup
//     │                 │        └───────── join, leave, session expiry ────────┤
//     └─ last member ───┘                                                       ▼
//        leaves                                     join, leave, session expiry ◄── Stable
//   Dead: the group was deleted (DeleteGroups, or its offsets expired while it was empty).
//
// JoinGroup and SyncGroup requests are parked until the rebalance reaches the point where Kafka
// answers them. A parked request is known by an opaque token the caller chooses; the answers come
// back as `Delivery` values, which the coordinator turns into responses. Group changes that Kafka
// writes to __consumer_offsets (a new assignment, the group becoming empty) come back as a
// `persist` flag: the caller writes the group record and only then delivers the answers, so a
// member never acts on an assignment that a coordinator crash could take back.
//
// Timers are deadlines in milliseconds (`nextDeadlineMs`), checked by `tick(nowMs)`: member session
// timeouts, the rebalance timeout, the initial rebalance delay of an empty group (Kafka's
// group.initial.rebalance.delay.ms) and the expiry of member ids handed out with
// MEMBER_ID_REQUIRED (KIP-394).

import { invariant } from '../../base/invariant.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupLimits {
  /** Kafka's group.min.session.timeout.ms: shorter session timeouts are refused. */
  sessionTimeoutMsMin: number;
  /** Kafka's group.max.session.timeout.ms. */
  sessionTimeoutMsMax: number;
  /** Kafka's group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  initialRebalanceDelayMs: number;
  /** Kafka's group.max.size: members (joined or pending) per group. */
  membersMax: number;
  /** The protocol metadata one member may send in JoinGroup, summed over its protocols. */
  memberMetadataBytesMax: number;
  /** The assignment the leader may send for one member in SyncGroup. */
  memberAssignmentBytesMax: number;
}

export const defaultGroupLimits: GroupLimits = {
  sessionTimeoutMsMin: 6_000,
  sessionTimeoutMsMax: 1_800_000,
  // Kafka waits 3 s; 300 ms still gathers members that start together into one generation, and
  // keeps "last member joined → everyone consuming" well under a second.
  initialRebalanceDelayMs: 300,
  membersMax: 1_000,
  memberMetadataBytesMax: 64 * 1024,
  memberAssignmentBytesMax: 1024 * 1024,
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinInput {
  /** Chosen by the caller; names the parked request in deliveries. */
  token: number;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a new dynamic member must first get its id (KIP-394 MEMBER_ID_REQUIRED). */
  requireKnownMemberId: boolean;
  /**
   * A random UUID chosen by the caller, which ends the member id if this join hands one out: the
   * group is a deterministic state machine, so randomness comes in as input like the time.
   */
  freshUuid: string;
}

export interface JoinAnswer {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncInput {
  token: number;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncAnswer {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export type Delivery = { token: number; kind: 'join'; answer: JoinAnswer } | { token: number; kind: 'sync'; answer: SyncAnswer };

export interface Effects {
  deliveries: Delivery[];
  /** The group record changed in a way Kafka persists; write it before delivering. */
  persist: boolean;
}

export interface MemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The metadata of the group's selected protocol (empty when none is selected yet). */
  metadata: Buffer;
  assignment: Buffer;
}

/** What is written to __consumer_offsets for a group, and read back on load. */
export interface GroupRecord {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  stateTimestampMs: number;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    subscription: Buffer;
    assignment: Buffer;
  }>;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  /** The member is removed when this passes without a heartbeat (unless it awaits a join answer). */
  sessionDeadlineMs: number;
  awaitingJoin: number | null;
  awaitingSync: number | null;
  /** Joined during the current PreparingRebalance (drives the initial delay's extension). */
  joinedThisRound: boolean;
}

const emptyBuffer = Buffer.alloc(0);
const noEffects = (): Effects => ({ deliveries: [], persist: false });

export class Group {
  readonly groupId: string;
  private readonly limits: GroupLimits;
  private stateValue: GroupState = 'Empty';
  private generation = 0;
  private protocolTypeValue: string | null = null;
  private protocolNameValue: string | null = null;
  private leaderId: string | null = null;
  private stateTimestamp: number;
  /** In join order: Kafka picks a new leader from the members that are left, oldest first. */
  private readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the deadline to come back by. */
  private readonly pendingMembers = new Map<string, number>();
  /** When the current PreparingRebalance ends at the latest. */
  private rebalanceDeadlineMs = Infinity;
  /** Initial delay of an empty group: when it ends, and how much of the rebalance timeout remains. */
  private initialDelay: { untilMs: number; remainingMs: number } | null = null;

  constructor(groupId: string, limits: GroupLimits, nowMs: number) {
    this.groupId = groupId;
    this.limits = limits;
    this.stateTimestamp = nowMs;
  }

  /** Rebuilds a group from its persisted record: members get a fresh session to prove they live. */
  static fromRecord(groupId: string, record: GroupRecord, limits: GroupLimits, nowMs: number): Group {
    const group = new Group(groupId, limits, record.stateTimestampMs);
    group.generation = record.generationId;
    group.protocolTypeValue = record.protocolType === '' && record.members.length === 0 ? null : record.protocolType;
    group.protocolNameValue = record.protocolName;
    for (const m of record.members) {
      group.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocolType: record.protocolType,
        protocols: [{ name: record.protocolName ?? '', metadata: m.subscription }],
        assignment: m.assignment,
        sessionDeadlineMs: nowMs + m.sessionTimeoutMs,
        awaitingJoin: null,
        awaitingSync: null,
        joinedThisRound: false,
      });
      if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    if (group.members.size > 0) {
      group.stateValue = 'Stable';
      group.leaderId = record.leader !== null && group.members.has(record.leader) ? record.leader : group.members.keys().next().value!;
    }
    group.checkInvariants();
    return group;
  }

  get state(): GroupState {
    return this.stateValue;
  }

  get generationId(): number {
    return this.generation;
  }

  get protocolType(): string | null {
    return this.protocolTypeValue;
  }

  get protocolName(): string | null {
    return this.protocolNameValue;
  }

  get leader(): string | null {
    return this.leaderId;
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** When the group last changed state: Kafka uses the time it became empty for offset expiry. */
  get stateTimestampMs(): number {
    return this.stateTimestamp;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  memberViews(): MemberView[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      metadata: this.protocolNameValue !== null ? metadataFor(m, this.protocolNameValue) : emptyBuffer,
      assignment: m.assignment,
    }));
  }

  /** The record Kafka writes for this group: generation, protocol, leader and members with assignments. */
  toRecord(): GroupRecord {
    return {
      protocolType: this.protocolTypeValue ?? '',
      generationId: this.generation,
      protocolName: this.protocolNameValue,
      leader: this.leaderId,
      stateTimestampMs: this.stateTimestamp,
      members: this.memberViews().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadata,
        assignment: m.assignment,
      })),
    };
  }

  // ---------------------------------------------------------------------------------- JoinGroup

  join(input: JoinInput, nowMs: number): Effects {
    const effects = noEffects();
    const answer = (errorCode: number, memberId = input.memberId): Effects => {
      effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinError(errorCode, memberId) });
      return effects;
    };
    if (this.stateValue === 'Dead') return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (input.sessionTimeoutMs < this.limits.sessionTimeoutMsMin || input.sessionTimeoutMs > this.limits.sessionTimeoutMsMax) {
      return answer(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const metadataBytes = input.protocols.reduce((sum, p) => sum + p.metadata.length, 0);
    if (metadataBytes > this.limits.memberMetadataBytesMax) return answer(ErrorCode.INVALID_REQUEST);
    if (!this.acceptsProtocols(input.protocolType, input.protocols)) return answer(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // A rebalance timeout below the session timeout (v0 sends none) means "same as the session".
    const rebalanceTimeoutMs = input.rebalanceTimeoutMs > 0 ? input.rebalanceTimeoutMs : input.sessionTimeoutMs;
    const joining = { ...input, rebalanceTimeoutMs };

    if (input.memberId === '') return this.joinUnknownMember(joining, nowMs, effects);
    return this.joinKnownMember(joining, nowMs, effects);
  }

  private joinUnknownMember(input: JoinInput, nowMs: number, effects: Effects): Effects {
    if (input.groupInstanceId !== null) {
      const oldMemberId = this.staticMembers.get(input.groupInstanceId);
      if (oldMemberId !== undefined) return this.replaceStaticMember(input, oldMemberId, nowMs, effects);
    }
    if (this.members.size + this.pendingMembers.size >= this.limits.membersMax) {
      effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, '') });
      return effects;
    }
    const memberId = newMemberId(input.groupInstanceId ?? input.clientId, input.freshUuid);
    if (input.groupInstanceId === null && input.requireKnownMemberId) {
      // KIP-394: the member id comes back with MEMBER_ID_REQUIRED, so a client that times out and
      // retries its first join does not leave an orphan member behind for a whole session.
      this.pendingMembers.set(memberId, nowMs + input.sessionTimeoutMs);
      effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId) });
      return effects;
    }
    this.addMember({ ...input, memberId }, nowMs);
    this.afterMembershipChange(nowMs, effects, 'member joined');
    return effects;
  }

  private joinKnownMember(input: JoinInput, nowMs: number, effects: Effects): Effects {
    const reply = (errorCode: number): Effects => {
      effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinError(errorCode, input.memberId) });
      return effects;
    };
    if (this.pendingMembers.has(input.memberId)) {
      this.pendingMembers.delete(input.memberId);
      this.addMember(input, nowMs);
      this.afterMembershipChange(nowMs, effects, 'pending member joined');
      return effects;
    }
    if (this.isStaticMemberFenced(input.memberId, input.groupInstanceId)) return reply(ErrorCode.FENCED_INSTANCE_ID);
    const member = this.members.get(input.memberId);
    if (!member) return reply(ErrorCode.UNKNOWN_MEMBER_ID);

    switch (this.stateValue) {
      case 'PreparingRebalance':
        this.updateMember(member, input, nowMs, effects);
        this.tryCompleteJoin(nowMs, effects);
        return effects;
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, input.protocols)) {
          // The member lost our join answer and asks again: give it the same one.
          if (member.awaitingJoin !== null) this.replaceParked(member, 'join', effects);
          member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
          effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinAnswerFor(member) });
          return effects;
        }
        this.updateMember(member, input, nowMs, effects);
        this.prepareRebalance(nowMs, effects);
        return effects;
      case 'Stable':
        if (member.memberId === this.leaderId || !sameProtocols(member.protocols, input.protocols)) {
          // The leader rejoining asks for a new assignment (its subscription may have new topics).
          this.updateMember(member, input, nowMs, effects);
          this.prepareRebalance(nowMs, effects);
          return effects;
        }
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        effects.deliveries.push({ token: input.token, kind: 'join', answer: this.joinAnswerFor(member) });
        return effects;
      case 'Empty':
      case 'Dead':
        return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  /** KIP-345: a static member that restarts takes over its old identity under a new member id. */
  private replaceStaticMember(input: JoinInput, oldMemberId: string, nowMs: number, effects: Effects): Effects {
    const old = this.members.get(oldMemberId);
    invariant(old, () => `static member ${input.groupInstanceId} maps to unknown member ${oldMemberId}`);
    const newId = newMemberId(input.groupInstanceId ?? input.clientId, input.freshUuid);
    // The old incarnation's parked requests are answered: it has been fenced.
    if (old.awaitingJoin !== null) {
      effects.deliveries.push({ token: old.awaitingJoin, kind: 'join', answer: this.joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId) });
      old.awaitingJoin = null;
    }
    if (old.awaitingSync !== null) {
      effects.deliveries.push({ token: old.awaitingSync, kind: 'sync', answer: this.syncError(ErrorCode.FENCED_INSTANCE_ID) });
      old.awaitingSync = null;
    }
    const oldProtocols = old.protocols;
    this.members.delete(oldMemberId);
    const member: Member = { ...old, memberId: newId, clientId: input.clientId, clientHost: input.clientHost };
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.sessionDeadlineMs = nowMs + input.sessionTimeoutMs;
    this.members.set(newId, member);
    this.staticMembers.set(input.groupInstanceId!, newId);
    if (this.leaderId === oldMemberId) this.leaderId = newId;

    switch (this.stateValue) {
      case 'Stable':
        if (sameProtocols(oldProtocols, input.protocols)) {
          // Nothing changed for the group: no rebalance, the member keeps its assignment (Kafka
          // persists the new member id, then answers with the current generation).
          effects.persist = true;
          effects.deliveries.push({
            token: input.token,
            kind: 'join',
            answer: { ...this.joinAnswerFor(member), members: [] },
          });
          return effects;
        }
        member.protocols = input.protocols;
        member.awaitingJoin = input.token;
        this.prepareRebalance(nowMs, effects);
        return effects;
      case 'CompletingRebalance':
        member.protocols = input.protocols;
        member.awaitingJoin = input.token;
        this.prepareRebalance(nowMs, effects);
        return effects;
      case 'PreparingRebalance':
        member.protocols = input.protocols;
        member.awaitingJoin = input.token;
        this.tryCompleteJoin(nowMs, effects);
        return effects;
      case 'Empty':
      case 'Dead':
        invariant(false, () => `group ${this.groupId} is ${this.stateValue} but has static member ${input.groupInstanceId}`);
    }
  }

  private addMember(input: JoinInput, nowMs: number): void {
    if (this.protocolTypeValue === null) this.protocolTypeValue = input.protocolType;
    this.members.set(input.memberId, {
      memberId: input.memberId,
      groupInstanceId: input.groupInstanceId,
      clientId: input.clientId,
      clientHost: input.clientHost,
      sessionTimeoutMs: input.sessionTimeoutMs,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs,
      protocolType: input.protocolType,
      protocols: input.protocols,
      assignment: emptyBuffer,
      sessionDeadlineMs: nowMs + input.sessionTimeoutMs,
      awaitingJoin: input.token,
      awaitingSync: null,
      joinedThisRound: true,
    });
    if (input.groupInstanceId !== null) this.staticMembers.set(input.groupInstanceId, input.memberId);
    this.leaderId ??= input.memberId;
  }

  private updateMember(member: Member, input: JoinInput, nowMs: number, effects: Effects): void {
    if (member.awaitingJoin !== null && member.awaitingJoin !== input.token) {
      // A second join from the same member replaces the first. The first must still get an answer:
      // the connection answers in request order, so an unanswered one would hold back the second.
      effects.deliveries.push({ token: member.awaitingJoin, kind: 'join', answer: this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId) });
    }
    member.protocols = input.protocols;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    member.awaitingJoin = input.token;
    member.sessionDeadlineMs = nowMs + input.sessionTimeoutMs;
  }

  private replaceParked(member: Member, kind: 'join' | 'sync', effects: Effects): void {
    if (kind === 'join' && member.awaitingJoin !== null) {
      effects.deliveries.push({ token: member.awaitingJoin, kind: 'join', answer: this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId) });
      member.awaitingJoin = null;
    }
    if (kind === 'sync' && member.awaitingSync !== null) {
      effects.deliveries.push({ token: member.awaitingSync, kind: 'sync', answer: this.syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
      member.awaitingSync = null;
    }
  }

  // ---------------------------------------------------------------------------------- SyncGroup

  sync(input: SyncInput, nowMs: number): Effects {
    const effects = noEffects();
    const reply = (errorCode: number): Effects => {
      effects.deliveries.push({ token: input.token, kind: 'sync', answer: this.syncError(errorCode) });
      return effects;
    };
    if (this.stateValue === 'Dead') return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.isStaticMemberFenced(input.memberId, input.groupInstanceId)) return reply(ErrorCode.FENCED_INSTANCE_ID);
    const member = this.members.get(input.memberId);
    if (!member) return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    if (input.generationId !== this.generation) return reply(ErrorCode.ILLEGAL_GENERATION);
    if (
      (input.protocolType !== null && input.protocolType !== this.protocolTypeValue) ||
      (input.protocolName !== null && input.protocolName !== this.protocolNameValue)
    ) {
      return reply(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (this.stateValue) {
      case 'Empty':
        return reply(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return reply(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        effects.deliveries.push({ token: input.token, kind: 'sync', answer: this.syncAnswerFor(member) });
        return effects;
      case 'CompletingRebalance': {
        if (member.memberId === this.leaderId) {
          const oversized = input.assignments.find((a) => a.assignment.length > this.limits.memberAssignmentBytesMax);
          if (oversized) return reply(ErrorCode.INVALID_REQUEST);
        }
        this.replaceParked(member, 'sync', effects);
        member.awaitingSync = input.token;
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        if (member.memberId !== this.leaderId) return effects;
        // The leader's assignment is relayed as it was sent; members it left out get nothing.
        const given = new Map(input.assignments.map((a) => [a.memberId, a.assignment]));
        for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? emptyBuffer;
        this.transition('Stable', nowMs);
        effects.persist = true;
        for (const m of this.members.values()) {
          if (m.awaitingSync !== null) {
            effects.deliveries.push({ token: m.awaitingSync, kind: 'sync', answer: this.syncAnswerFor(m) });
            m.awaitingSync = null;
          }
        }
        return effects;
      }
    }
  }

  // ---------------------------------------------------------------------------------- Heartbeat

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number, nowMs: number): number {
    if (this.stateValue === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    switch (this.stateValue) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        return ErrorCode.NONE;
    }
  }

  // --------------------------------------------------------------------------------- LeaveGroup

  /** Removes one member (LeaveGroup v3+ sends several); returns the member's error code. */
  leave(memberId: string, groupInstanceId: string | null, nowMs: number, effects: Effects): number {
    if (this.stateValue === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      // An empty member id means "whoever holds this instance id" (admin removal, KIP-345).
      if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
      this.removeMember(current, nowMs, effects, 'static member left');
      return ErrorCode.NONE;
    }
    if (this.pendingMembers.delete(memberId)) {
      this.tryCompleteJoin(nowMs, effects);
      return ErrorCode.NONE;
    }
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(memberId, nowMs, effects, 'member left');
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------------------ OffsetCommit

  /**
   * May this member commit offsets now? Kafka's rules for the classic protocol: anyone may commit
   * to an empty group with generation -1 (admin tools, assign()-only consumers); members of the
   * current generation may commit while Stable or PreparingRebalance (so they can save progress
   * before rejoining); nobody may commit while the new assignment is being distributed.
   */
  validateCommit(memberId: string, groupInstanceId: string | null, generationId: number, nowMs: number): number {
    if (this.stateValue === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && this.stateValue === 'Empty') return ErrorCode.NONE;
    if (this.stateValue === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    // A commit shows the member is alive, as a heartbeat does.
    member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------------------------ timers

  /** The earliest time `tick` has something to do, or Infinity. */
  nextDeadlineMs(): number {
    let next = Infinity;
    for (const deadline of this.pendingMembers.values()) next = Math.min(next, deadline);
    if (this.stateValue === 'PreparingRebalance') {
      next = Math.min(next, this.initialDelay ? this.initialDelay.untilMs : this.rebalanceDeadlineMs);
    }
    for (const member of this.members.values()) {
      if (!this.sessionPaused(member)) next = Math.min(next, member.sessionDeadlineMs);
    }
    return next;
  }

  tick(nowMs: number): Effects {
    const effects = noEffects();
    for (const [memberId, deadline] of this.pendingMembers) {
      if (deadline <= nowMs) this.pendingMembers.delete(memberId);
    }
    for (const member of [...this.members.values()]) {
      if (!this.sessionPaused(member) && member.sessionDeadlineMs <= nowMs && this.members.has(member.memberId)) {
        this.removeMember(member.memberId, nowMs, effects, 'session timeout');
      }
    }
    if (this.stateValue === 'PreparingRebalance') {
      if (this.initialDelay) {
        if (this.initialDelay.untilMs <= nowMs) {
          const joinedDuringDelay = [...this.members.values()].some((m) => m.joinedThisRound);
          if (joinedDuringDelay && this.initialDelay.remainingMs > 0) {
            // Kafka's InitialDelayedJoin: new members keep arriving, so wait one more delay, as long
            // as the rebalance timeout allows.
            const delayMs = Math.min(this.limits.initialRebalanceDelayMs, this.initialDelay.remainingMs);
            this.initialDelay = { untilMs: nowMs + delayMs, remainingMs: this.initialDelay.remainingMs - delayMs };
            for (const m of this.members.values()) m.joinedThisRound = false;
          } else {
            this.initialDelay = null;
            this.completeJoin(nowMs, effects);
          }
        }
      } else if (this.rebalanceDeadlineMs <= nowMs) {
        this.completeJoin(nowMs, effects);
      } else {
        this.tryCompleteJoin(nowMs, effects);
      }
    }
    return effects;
  }

  // ------------------------------------------------------------------------------- transitions

  /** DeleteGroups: only an empty group may go. */
  markDead(nowMs: number): Effects {
    invariant(this.members.size === 0, () => `group ${this.groupId} deleted with ${this.members.size} members`);
    const effects = noEffects();
    this.pendingMembers.clear();
    this.transition('Dead', nowMs);
    return effects;
  }

  private afterMembershipChange(nowMs: number, effects: Effects, reason: string): void {
    void reason;
    if (this.stateValue === 'PreparingRebalance') this.tryCompleteJoin(nowMs, effects);
    else this.prepareRebalance(nowMs, effects);
  }

  private prepareRebalance(nowMs: number, effects: Effects): void {
    if (this.stateValue === 'CompletingRebalance') {
      // The assignment being distributed is void: members waiting for it must rejoin.
      for (const m of this.members.values()) {
        m.assignment = emptyBuffer;
        if (m.awaitingSync !== null) {
          effects.deliveries.push({ token: m.awaitingSync, kind: 'sync', answer: this.syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
          m.awaitingSync = null;
        }
      }
    }
    const wasEmpty = this.stateValue === 'Empty';
    this.transition('PreparingRebalance', nowMs);
    const rebalanceTimeoutMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.rebalanceDeadlineMs = nowMs + rebalanceTimeoutMs;
    if (wasEmpty && this.limits.initialRebalanceDelayMs > 0) {
      const delayMs = Math.min(this.limits.initialRebalanceDelayMs, rebalanceTimeoutMs);
      this.initialDelay = { untilMs: nowMs + delayMs, remainingMs: Math.max(0, rebalanceTimeoutMs - delayMs) };
      for (const m of this.members.values()) m.joinedThisRound = false;
      return;
    }
    this.initialDelay = null;
    this.tryCompleteJoin(nowMs, effects);
  }

  private tryCompleteJoin(nowMs: number, effects: Effects): void {
    if (this.stateValue !== 'PreparingRebalance' || this.initialDelay) return;
    const allJoined = [...this.members.values()].every((m) => m.awaitingJoin !== null) && this.pendingMembers.size === 0;
    if (allJoined) this.completeJoin(nowMs, effects);
  }

  private completeJoin(nowMs: number, effects: Effects): void {
    // Members that did not rejoin in time are out (Kafka removes them when the join completes).
    for (const member of [...this.members.values()]) {
      if (member.awaitingJoin === null) this.dropMember(member);
    }
    this.pendingMembers.clear();
    this.generation += 1;
    if (this.members.size === 0) {
      this.protocolNameValue = null;
      this.protocolTypeValue = null;
      this.leaderId = null;
      this.transition('Empty', nowMs);
      effects.persist = true;
      return;
    }
    this.protocolNameValue = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.transition('CompletingRebalance', nowMs);
    for (const member of this.members.values()) {
      member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
      member.joinedThisRound = false;
      effects.deliveries.push({ token: member.awaitingJoin!, kind: 'join', answer: this.joinAnswerFor(member) });
      member.awaitingJoin = null;
    }
  }

  private removeMember(memberId: string, nowMs: number, effects: Effects, reason: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    if (member.awaitingJoin !== null) {
      effects.deliveries.push({ token: member.awaitingJoin, kind: 'join', answer: this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId) });
      member.awaitingJoin = null;
    }
    if (member.awaitingSync !== null) {
      effects.deliveries.push({ token: member.awaitingSync, kind: 'sync', answer: this.syncError(ErrorCode.UNKNOWN_MEMBER_ID) });
      member.awaitingSync = null;
    }
    this.dropMember(member);
    switch (this.stateValue) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(nowMs, effects);
        break;
      case 'PreparingRebalance':
        if (this.members.size === 0 && this.initialDelay) {
          // Everybody who came for the first generation is gone again.
          this.initialDelay = null;
          this.completeJoin(nowMs, effects);
        } else {
          this.tryCompleteJoin(nowMs, effects);
        }
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
    void reason;
  }

  private dropMember(member: Member): void {
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === member.memberId) this.leaderId = this.members.size > 0 ? this.members.keys().next().value! : null;
  }

  private transition(to: GroupState, nowMs: number): void {
    this.stateValue = to;
    this.stateTimestamp = nowMs;
    if (to !== 'PreparingRebalance') {
      this.rebalanceDeadlineMs = Infinity;
      this.initialDelay = null;
    }
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------- helpers

  /** A member waiting for its join answer cannot expire: the rebalance timeout governs it then. */
  private sessionPaused(member: Member): boolean {
    return member.awaitingJoin !== null && this.stateValue === 'PreparingRebalance';
  }

  private isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  private acceptsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolTypeValue) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const all = [...this.members.values()];
    if (all.length === 0) return new Set<string>();
    const result = new Set<string>(all[0].protocols.map((p) => p.name));
    for (const member of all.slice(1)) {
      const names = new Set<string>(member.protocols.map((p) => p.name));
      for (const name of [...result]) if (!names.has(name)) result.delete(name);
    }
    return result;
  }

  /** Kafka's vote: each member votes for its most preferred candidate; most votes wins. */
  private selectProtocol(): string {
    const candidates = this.candidateProtocols();
    invariant(candidates.size > 0, () => `group ${this.groupId} has no protocol all members support`);
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => candidates.has(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best;
  }

  private joinAnswerFor(member: Member): JoinAnswer {
    const isLeader = member.memberId === this.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocolNameValue,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      // Only the leader learns every member's subscription: it computes the assignment.
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: metadataFor(m, this.protocolNameValue!),
          }))
        : [],
    };
  }

  private joinError(errorCode: number, memberId: string): JoinAnswer {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
  }

  private syncAnswerFor(member: Member): SyncAnswer {
    return { errorCode: ErrorCode.NONE, protocolType: this.protocolTypeValue, protocolName: this.protocolNameValue, assignment: member.assignment };
  }

  private syncError(errorCode: number): SyncAnswer {
    return { errorCode, protocolType: null, protocolName: null, assignment: emptyBuffer };
  }

  private checkInvariants(): void {
    const id = this.groupId;
    invariant(this.members.size <= this.limits.membersMax, () => `group ${id}: ${this.members.size} members exceed ${this.limits.membersMax}`);
    switch (this.stateValue) {
      case 'Empty':
      case 'Dead':
        invariant(this.members.size === 0, () => `group ${id}: ${this.stateValue} with ${this.members.size} members`);
        break;
      case 'CompletingRebalance':
      case 'Stable':
        invariant(this.members.size > 0, () => `group ${id}: ${this.stateValue} without members`);
        invariant(this.leaderId !== null && this.members.has(this.leaderId), () => `group ${id}: leader ${this.leaderId} is not a member`);
        invariant(this.protocolNameValue !== null, () => `group ${id}: no protocol selected`);
        break;
      case 'PreparingRebalance':
        break;
    }
    for (const [instanceId, memberId] of this.staticMembers) {
      invariant(this.members.get(memberId)?.groupInstanceId === instanceId, () => `group ${id}: static member ${instanceId} maps to ${memberId}`);
    }
  }
}

function metadataFor(member: Member, protocolName: string): Buffer {
  const protocol = member.protocols.find((p) => p.name === protocolName);
  invariant(protocol, () => `member ${member.memberId} does not support protocol ${protocolName}`);
  return protocol.metadata;
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}

/** Kafka's member ids: the client id (or group instance id) and a UUID. */
function newMemberId(prefix: string, uuid: string): string {
  return `${prefix}-${uuid}`;
}

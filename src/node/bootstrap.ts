// BootstrapDecider: whether this node founds the metadata group, restarts it from disk, joins
// it empty, or refuses to start it (docs/cluster-design.md, "What is left", item 1).
//
// It is a pure state machine. The host feeds it events — peer identities from the transport
// handshake (PeerTransport.onPeerIdentity), the terms of Raft messages it receives for the
// group, configurations the group learns after joining, and the passage of time — and reads
// the decision plus the log lines it should write. It performs no I/O and reads no clock.
//
// The rules, and why:
//
// - Local storage that holds the group (non-empty) is a restart, whatever
//   `initial_cluster_state` says. Bootstrapping again would write entries 1..n of term 1 over
//   a log that already has them.
// - `existing` with empty storage joins: the node starts with no configuration and waits for
//   an operator (the controller) to add it; the group's entries reach it by replication.
// - `new` with empty storage founds the group, but only once every founding member is
//   connected and its storage id (from the authenticated handshake) is known, so that every
//   founding node writes byte-identical bootstrap entries with the real storage ids:
//   voters are the first `metadataVoters` founding members in node-id order, learners the
//   rest. Bootstrap entries that differed between two nodes at the same (index, term) would
//   break Raft's log matching.
// - A group that already exists must never be bootstrapped again: a wiped node's entries
//   would carry its new storage id where the real log has its old one. A peer shows that it
//   holds the group's log by sending any Raft message for the group with term > 0: a node
//   with an empty log has no configuration, so it never campaigns and stays at term 0, and
//   bootstrap itself sets term 1. When such a message arrives before this node has
//   bootstrapped, it does not bootstrap; it joins empty instead. Joining is safe whatever
//   the peer's log holds: the bootstrap entries then arrive by replication, exactly as the
//   founders wrote them.
// - Joining (rather than refusing at once) matters for a slow co-founder: founders complete
//   their sets of identities at different moments, and the first to bootstrap campaigns
//   within an election timeout, well before a founder whose last connection is still in
//   reconnect backoff has all the ids. That founder joins and receives the same
//   configuration naming it with its own storage id — no operator needed. A wiped node
//   receives a configuration naming it with its old storage id; `configurationLearned` then
//   refuses (with `new`), telling the operator to switch to `existing` and replace the disk.
// - After every founding member is known, the decision waits `settleMs` more, with every
//   founding member connected throughout, before bootstrapping. Without it, a wiped node
//   whose peers are running could collect their ids in its handshakes and bootstrap before
//   their first Raft message arrives. Within the settle window a running group reaches this
//   node: its leader heartbeats every member every heartbeat interval, and without a leader
//   the voters campaign within two election timeouts (recommendedSettleMs below).
// - Waiting is bounded: after `maxWaitMs` without a decision the node refuses, saying which
//   founding members never connected, rather than hanging silently; every `logIntervalMs`
//   the same list is logged while it waits.
// - Two founding members announcing the same storage id means a data directory was copied;
//   that is refused, because the configuration could not tell the two disks apart.

import { invariant } from '../base/invariant.ts';
import type { ConfState, Member } from '../raft/types.ts';
import { checkStorageId } from '../transport/handshake.ts';
import { checkNodeId } from '../transport/types.ts';

export type InitialClusterState = 'new' | 'existing';

export interface BootstrapConfig {
  /** The group's name, for log lines (the metadata group: '__metadata'). */
  group: string;
  nodeId: number;
  /** This node's storage id (the node store's storage UUID). */
  storageId: string;
  /** Node ids of cluster.initial_members; identical on every founding node. */
  foundingMembers: readonly number[];
  /** cluster.metadata_voters: how many founding members (lowest ids first) are voters. */
  metadataVoters: number;
  initialClusterState: InitialClusterState;
  /** Whether the group's local storage is empty (no entries, no snapshot, no hard state). */
  storageEmpty: boolean;
  /**
   * Why this node's earlier state of the group is gone (it then runs under a new group-level
   * storage id, src/partition/replica-identity.ts), or null. Such a node never bootstraps: the
   * group exists, and founding it again would make this node vote as its old self. It joins.
   */
  lostState?: string | null;
  /** Quiet time with every founding member connected before bootstrapping (see recommendedSettleMs). */
  settleMs: number;
  /** Longest wait for the founding members before refusing. */
  maxWaitMs: number;
  /** How often the "still waiting for …" line is logged. */
  logIntervalMs: number;
  /** Monotonic time at start, in ms (the host's clock, e.g. performance.now()). */
  nowMs: number;
}

export type BootstrapDecision =
  /** Keep waiting; feed more events. */
  | { kind: 'wait' }
  /** Write bootstrapEntries(confState) to the empty storage, then start the group. */
  | { kind: 'bootstrap'; confState: ConfState }
  /** Start the group from what is on disk. */
  | { kind: 'restart' }
  /** Start the group with empty storage and no configuration; it will be added (or already was). */
  | { kind: 'join'; reason: string }
  /** Do not start the group; `reason` tells the operator what to do. Final. */
  | { kind: 'refuse'; reason: string };

export interface BootstrapLogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** What a configuration says about this node's disk. */
export type Membership = 'member' | 'absent' | { staleStorageId: string };

/** Settle time covering two election timeouts plus two heartbeats (the defaults give 2,200 ms). */
export function recommendedSettleMs(rttMs: number, electionRtt: number, heartbeatRtt: number): number {
  for (const [k, v] of Object.entries({ rttMs, electionRtt, heartbeatRtt })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer (got ${v})`);
  }
  // A randomized election timeout is below 2 × electionRtt ticks; a heartbeat goes out every
  // heartbeatRtt ticks. One more heartbeat covers the message's trip and a late tick.
  return (2 * electionRtt + 2 * heartbeatRtt) * rttMs;
}

/**
 * The founding configuration: voters are the first `metadataVoters` founding members by node
 * id, learners the rest, each with its storage id. A pure function of its inputs, so every
 * founding node that knows the same ids computes the same ConfState (and the same entries).
 */
export function foundingConfState(storageIds: ReadonlyMap<number, string>, metadataVoters: number): ConfState {
  invariant(storageIds.size > 0, 'foundingConfState: no founding members');
  invariant(Number.isSafeInteger(metadataVoters) && metadataVoters >= 1, () => `foundingConfState: metadataVoters ${metadataVoters}`);
  const ids = [...storageIds.keys()].sort((a, b) => a - b);
  const members: Member[] = ids.map((id) => {
    const storageId = storageIds.get(id)!;
    invariant(storageId !== '', () => `foundingConfState: node ${id} has no storage id`);
    return { id, storageId };
  });
  const distinct = new Set(members.map((m) => m.storageId));
  invariant(distinct.size === members.length, 'foundingConfState: two founding members share a storage id');
  return { voters: members.slice(0, metadataVoters), learners: members.slice(metadataVoters) };
}

/** Whether `confState` names `nodeId` with `storageId`, with another storage id, or not at all. */
export function membershipOf(nodeId: number, storageId: string, confState: ConfState): Membership {
  const m = [...confState.voters, ...confState.learners].find((x) => x.id === nodeId);
  if (m === undefined) return 'absent';
  return m.storageId === storageId ? 'member' : { staleStorageId: m.storageId };
}

interface PeerView {
  connected: boolean;
  /** The storage id of the current (or, if disconnected, the last) connection; '' = none announced. */
  storageId: string | null;
}

export class BootstrapDecider {
  private readonly cfg: Readonly<BootstrapConfig>;
  private readonly founding: readonly number[];
  private readonly peers = new Map<number, PeerView>();
  private current: BootstrapDecision = { kind: 'wait' };
  /** Whether a 'join' came from `new` (a log seen before bootstrapping), from `existing`, or from lost state. */
  private joinedFrom: InitialClusterState | 'lost' | null = null;
  private readonly startMs: number;
  private lastNowMs: number;
  /** When every founding member was last seen connected with a storage id; null while one is missing. */
  private settleFromMs: number | null = null;
  private nextWaitLogMs: number;
  private readonly staleWarned = new Set<string>();
  private memberLogged = false;
  private logs: BootstrapLogLine[] = [];

  constructor(cfg: BootstrapConfig) {
    checkNodeId(cfg.nodeId, 'nodeId');
    checkStorageId(cfg.storageId, 'storageId');
    if (cfg.storageId === '') throw new RangeError("storageId must not be empty: it is this disk's identity in the group");
    if (cfg.foundingMembers.length === 0) throw new RangeError('foundingMembers must not be empty (cluster.initial_members)');
    for (const id of cfg.foundingMembers) checkNodeId(id, 'founding member id');
    if (new Set(cfg.foundingMembers).size !== cfg.foundingMembers.length) throw new RangeError('foundingMembers must not repeat a node id');
    if (!Number.isSafeInteger(cfg.metadataVoters) || cfg.metadataVoters < 1)
      throw new RangeError(`metadataVoters must be a positive integer (got ${cfg.metadataVoters})`);
    if (cfg.initialClusterState !== 'new' && cfg.initialClusterState !== 'existing')
      throw new RangeError(`initialClusterState must be 'new' or 'existing' (got ${String(cfg.initialClusterState)})`);
    for (const k of ['settleMs', 'maxWaitMs', 'logIntervalMs', 'nowMs'] as const) {
      if (!Number.isFinite(cfg[k]) || cfg[k] < 0) throw new RangeError(`${k} must be a finite number ≥ 0 (got ${cfg[k]})`);
    }
    if (cfg.logIntervalMs === 0) throw new RangeError('logIntervalMs must be > 0');
    if (cfg.maxWaitMs <= cfg.settleMs) throw new RangeError(`maxWaitMs (${cfg.maxWaitMs}) must exceed settleMs (${cfg.settleMs})`);
    this.cfg = Object.freeze({ ...cfg, foundingMembers: [...cfg.foundingMembers] });
    this.founding = [...cfg.foundingMembers].sort((a, b) => a - b);
    this.startMs = cfg.nowMs;
    this.lastNowMs = cfg.nowMs;
    this.nextWaitLogMs = cfg.nowMs;

    const fields = { group: cfg.group, initial_cluster_state: cfg.initialClusterState };
    if (!cfg.storageEmpty) {
      this.current = { kind: 'restart' };
      this.log('info', `group ${cfg.group} has local state: restarting from it (initial_cluster_state is ignored on restart)`, fields);
    } else if (cfg.lostState) {
      this.join(
        'lost',
        `group ${cfg.group} lost its Raft state on this node (${cfg.lostState}): not bootstrapping; starting empty under storage id ${cfg.storageId}, to be added back as a new member`,
        { ...fields, storage_id: cfg.storageId },
        'warn',
      );
    } else if (cfg.initialClusterState === 'existing') {
      this.join('existing', `initial_cluster_state is 'existing': starting group ${cfg.group} empty and waiting to be added by the controller`, fields);
    } else if (!this.founding.includes(cfg.nodeId)) {
      this.refuse(
        `node ${cfg.nodeId} is not in cluster.initial_members (${this.founding.join(', ')}), so it cannot found group ${cfg.group} with initial_cluster_state 'new'; ` +
          `set initial_cluster_state: existing and add the node to the running cluster`,
        fields,
      );
    } else {
      this.evaluate(cfg.nowMs);
    }
  }

  get decision(): BootstrapDecision {
    return this.current;
  }

  /** The log lines produced since the last call, oldest first; the host writes them. */
  takeLogs(): BootstrapLogLine[] {
    const out = this.logs;
    this.logs = [];
    return out;
  }

  /** The transport authenticated a connection to `nodeId`, which announced `storageId` ('' = none). */
  peerConnected(nodeId: number, storageId: string, nowMs: number): BootstrapDecision {
    checkNodeId(nodeId, 'peer id');
    invariant(nodeId !== this.cfg.nodeId, () => `peerConnected: node ${nodeId} is this node`);
    this.advance(nowMs);
    const before = this.peers.get(nodeId);
    if (before !== undefined && before.storageId !== null && before.storageId !== '' && storageId !== '' && before.storageId !== storageId && this.deciding()) {
      this.log(
        'warn',
        `founding member ${nodeId} reconnected with another storage id (its data directory was replaced before group ${this.cfg.group} was founded)`,
        {
          group: this.cfg.group,
          peer: nodeId,
          old_storage_id: before.storageId,
          storage_id: storageId,
        },
      );
    }
    this.peers.set(nodeId, { connected: true, storageId });
    // A founding member's new connection restarts the settle window (evaluate sets it
    // again): the window must see every founding member connected throughout.
    if (this.founding.includes(nodeId)) this.settleFromMs = null;
    this.evaluate(nowMs);
    return this.current;
  }

  /** The connection to `nodeId` closed. */
  peerDisconnected(nodeId: number, nowMs: number): BootstrapDecision {
    checkNodeId(nodeId, 'peer id');
    this.advance(nowMs);
    const p = this.peers.get(nodeId);
    if (p !== undefined) p.connected = false;
    this.evaluate(nowMs);
    return this.current;
  }

  /**
   * A Raft message for this group arrived from `from` with `term`. Term > 0 means the sender
   * holds the group's log (see the header); term 0 says nothing.
   */
  groupMessage(from: number, term: number, nowMs: number): BootstrapDecision {
    checkNodeId(from, 'peer id');
    invariant(Number.isSafeInteger(term) && term >= 0, () => `groupMessage: term ${term}`);
    this.advance(nowMs);
    if (term > 0 && this.deciding()) {
      this.join(
        'new',
        `peer ${from} already holds a log for group ${this.cfg.group} (it sent a message of term ${term}): not bootstrapping; starting empty to receive the group's configuration by replication`,
        { group: this.cfg.group, peer: from, term },
        'warn',
      );
    }
    this.evaluate(nowMs);
    return this.current;
  }

  /**
   * The group (started after 'join') now has configuration `confState`. If it names this
   * node with another storage id, this disk is not the one the group knows: with `new` that
   * is refused (the operator meant to found a cluster that already exists); with `existing`
   * it is the expected state of a replaced disk awaiting `replace-disk`, logged once.
   * Absence says nothing yet: configurations are applied one entry at a time.
   */
  configurationLearned(confState: ConfState, nowMs: number): BootstrapDecision {
    this.advance(nowMs);
    if (this.current.kind !== 'join') return this.current;
    const m = membershipOf(this.cfg.nodeId, this.cfg.storageId, confState);
    const fields = { group: this.cfg.group, storage_id: this.cfg.storageId };
    if (m === 'member') {
      if (!this.memberLogged) this.log('info', `group ${this.cfg.group} names this node with this disk's storage id: it is a member`, fields);
      this.memberLogged = true;
    } else if (m !== 'absent') {
      const replace =
        `replace the disk in the membership: runnel cluster replace-disk ${this.cfg.nodeId} ` +
        `(removes node ${this.cfg.nodeId}'s old identity ${m.staleStorageId}, then adds it with ${this.cfg.storageId}, one change at a time)`;
      if (this.joinedFrom === 'new') {
        this.refuse(
          `group ${this.cfg.group} already exists and names node ${this.cfg.nodeId} with storage id ${m.staleStorageId}, but this disk is ${this.cfg.storageId}: ` +
            `its data directory was wiped or replaced. Set cluster.initial_cluster_state: existing, restart, and ${replace}`,
          { ...fields, stale_storage_id: m.staleStorageId },
        );
      } else if (!this.staleWarned.has(m.staleStorageId)) {
        this.staleWarned.add(m.staleStorageId);
        this.log(
          'warn',
          `group ${this.cfg.group} knows node ${this.cfg.nodeId} with storage id ${m.staleStorageId}, not this disk: it cannot vote until an operator runs the replacement; ${replace}`,
          {
            ...fields,
            stale_storage_id: m.staleStorageId,
          },
        );
      }
    }
    return this.current;
  }

  /** Time passed: settles, logs the waiting line, enforces maxWaitMs. */
  tick(nowMs: number): BootstrapDecision {
    this.advance(nowMs);
    this.evaluate(nowMs);
    return this.current;
  }

  // -------------------------------------------------------------------------------------------

  /** Still able to bootstrap: `new`, empty storage, nothing decided yet. */
  private deciding(): boolean {
    return this.current.kind === 'wait';
  }

  private advance(nowMs: number): void {
    invariant(
      Number.isFinite(nowMs) && nowMs >= this.lastNowMs,
      () => `BootstrapDecider: time went backwards (${nowMs} < ${this.lastNowMs}); use a monotonic clock`,
    );
    this.lastNowMs = nowMs;
  }

  /** Why founding member `id` is not usable yet, or null if it is connected with a storage id. */
  private missingReason(id: number): string | null {
    if (id === this.cfg.nodeId) return null;
    const p = this.peers.get(id);
    if (p === undefined) return 'never connected';
    if (!p.connected) return p.storageId === null || p.storageId === '' ? 'not connected' : `not connected (last seen with storage id ${p.storageId})`;
    if (p.storageId === '') return 'connected but announced no storage id (its transport was started without one)';
    return null;
  }

  private evaluate(nowMs: number): void {
    if (!this.deciding()) return;
    const g = this.cfg.group;
    const missing: Array<{ node: number; why: string }> = [];
    for (const id of this.founding) {
      const why = this.missingReason(id);
      if (why !== null) missing.push({ node: id, why });
    }
    if (missing.length > 0) {
      this.settleFromMs = null;
      this.waitingFor(missing, nowMs);
      return;
    }
    const ids = new Map<number, string>(this.founding.map((id) => [id, id === this.cfg.nodeId ? this.cfg.storageId : this.peers.get(id)!.storageId!]));
    const byStorage = new Map<string, number>();
    for (const [id, sid] of ids) {
      const other = byStorage.get(sid);
      if (other !== undefined) {
        this.refuse(
          `founding members ${other} and ${id} both have storage id ${sid}: a data directory was copied between nodes. ` +
            `Give each node its own empty data directory (or the one it created) and start again`,
          { group: g, storage_id: sid, nodes: [other, id] },
        );
        return;
      }
      byStorage.set(sid, id);
    }
    if (this.settleFromMs === null) {
      this.settleFromMs = nowMs;
      this.log(
        'info',
        `all founding members of group ${g} are connected: bootstrapping in ${this.cfg.settleMs} ms unless a peer shows it already holds the group's log`,
        {
          group: g,
          storage_ids: Object.fromEntries(ids),
        },
      );
    }
    // The settle window ends by itself: it restarts only after a founding member's connection
    // closed, and that passes through the branch above, which enforces maxWaitMs.
    if (nowMs - this.settleFromMs >= this.cfg.settleMs) {
      const confState = foundingConfState(ids, this.cfg.metadataVoters);
      this.current = { kind: 'bootstrap', confState };
      this.log('info', `bootstrapping group ${g}`, { group: g, voters: confState.voters, learners: confState.learners });
    }
  }

  /** Some founding members are missing: give up at maxWaitMs, else log the list once per interval. */
  private waitingFor(missing: Array<{ node: number; why: string }>, nowMs: number): void {
    const g = this.cfg.group;
    const waited = nowMs - this.startMs;
    const list = missing.map((m) => `${m.node} (${m.why})`).join(', ');
    if (waited >= this.cfg.maxWaitMs) {
      this.refuse(
        `gave up after ${Math.round(waited)} ms waiting to found group ${g}; founding members missing: ${list}. ` +
          `Check that they are running with the same cluster.initial_members and cluster.secret and can reach each other's raft_address`,
        { group: g, missing, waited_ms: waited },
      );
      return;
    }
    if (nowMs < this.nextWaitLogMs) return;
    // One line per interval at most, however far time jumped (computed, not looped).
    const intervals = Math.floor((nowMs - this.nextWaitLogMs) / this.cfg.logIntervalMs) + 1;
    this.nextWaitLogMs += intervals * this.cfg.logIntervalMs;
    this.log(waited === 0 ? 'info' : 'warn', `waiting to found group ${g}: founding members missing: ${list}`, {
      group: g,
      missing,
      waited_ms: waited,
      gives_up_in_ms: this.cfg.maxWaitMs - waited,
    });
  }

  private join(from: InitialClusterState | 'lost', reason: string, fields: Record<string, unknown>, level: 'info' | 'warn' = 'info'): void {
    invariant(this.current.kind === 'wait', () => `BootstrapDecider: join after ${this.current.kind}`);
    this.current = { kind: 'join', reason };
    this.joinedFrom = from;
    this.log(level, reason, fields);
  }

  private refuse(reason: string, fields: Record<string, unknown>): void {
    invariant(this.current.kind === 'wait' || this.current.kind === 'join', () => `BootstrapDecider: refuse after ${this.current.kind}`);
    this.current = { kind: 'refuse', reason };
    this.log('error', `not starting group ${this.cfg.group}: ${reason}`, fields);
  }

  private log(level: BootstrapLogLine['level'], msg: string, fields: Record<string, unknown>): void {
    this.logs.push({ level, msg, fields });
  }
}

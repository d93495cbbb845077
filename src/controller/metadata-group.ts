// The metadata Raft group's state machine and the controller built on it (cluster mode).
//
// Every broker hosts a replica of the `__metadata` group and applies the same MetadataCommands in
// the same order to its MetadataState, so each one can answer Metadata requests locally. The
// group's leader is the controller: only it accepts proposals. A command travels as the value of a
// one-record RecordBatch (the group's log is a segment log like a partition's), wrapped in an
// envelope with a proposal id so the proposer can tell the caller how its command ended.
//
// Snapshots (cluster.snapshot_entries): when the core asks, the state is serialised at the index
// just applied and stored with the group's log (MetadataLogStorage), which then compacts the log
// behind it. After a restart the group starts from that snapshot and applies the entries between
// its index and the commit index again from the log, so nothing applied is lost. A follower
// behind the leader's log start receives the snapshot instead (InstallSnapshot) and replaces its
// whole state; listeners learn that through onRestored.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RaftNode, type Rng, type Storage } from '../raft/index.ts';
import type { ConfState, Entry, HardState, RaftConfig, Snapshot } from '../raft/types.ts';
import { buildRecordBatch, decodeRecords } from '../protocol/record-batch.ts';
import { invariant } from '../base/invariant.ts';
import type { GroupStateMachine } from '../raft-host/raft-host.ts';
import { MetadataTimeoutError, NotControllerError, type Controller, type MetadataListener } from '../metadata/controller.ts';
import { logMetadataCommand } from './local-controller.ts';
import { MetadataState, type ApplyResult, type MetadataCommand, type MetadataSnapshot } from '../metadata/metadata-state.ts';

export const metadataGroupName = '__metadata';
/** Entry bytes read per slice while the log after the snapshot is replayed at start. */
const METADATA_REPLAY_BYTES_MAX = 4 * 1024 * 1024;

interface Envelope {
  /**
   * `<node id>-<instance nonce>-<sequence>`: a proposer recognises its own by it. The nonce is
   * new per instance, so an entry proposed before a restart that commits after it cannot
   * answer a caller of the restarted broker whose sequence started again at 1.
   */
  id: string;
  command: MetadataCommand;
}

/** Called after the whole state was replaced by an installed snapshot. */
export type MetadataRestoredListener = (state: MetadataState) => void;

export function encodeMetadataEntry(envelope: Envelope): Uint8Array {
  return buildRecordBatch({ records: [{ key: null, value: Buffer.from(JSON.stringify(envelope)), timestamp: 0 }] });
}

function decodeMetadataEntry(data: Uint8Array): Envelope {
  const [record] = decodeRecords(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return JSON.parse(record.value!.toString('utf8')) as Envelope;
}

/** A snapshot's data: the state as JSON (MetadataState.snapshot()). */
export function encodeMetadataSnapshot(state: MetadataState): Uint8Array {
  return Buffer.from(state.snapshotJson(), 'utf8');
}

export function decodeMetadataSnapshot(data: Uint8Array): MetadataSnapshot {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let value: MetadataSnapshot;
  try {
    value = JSON.parse(text) as MetadataSnapshot;
  } catch (err) {
    throw new Error(`metadata snapshot is not valid JSON: ${(err as Error).message}`);
  }
  invariant(
    typeof value === 'object' && value !== null && typeof value.clusterId === 'string' && Array.isArray(value.brokers) && Array.isArray(value.topics),
    'a metadata snapshot has clusterId, brokers and topics',
  );
  return value;
}

export class MetadataGroup implements GroupStateMachine, Controller {
  state: MetadataState;
  private node: RaftNode | null = null;
  private readonly nodeId: number;
  private readonly logger: Logger;
  private readonly listeners: MetadataListener[] = [];
  private readonly restoredListeners: MetadataRestoredListener[] = [];
  private readonly pending = new Map<string, { resolve: (r: ApplyResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private sequence = 0;
  private readonly proposalNonce = randomBytes(8).toString('hex');
  private appliedIndex: number;
  /** The term of entry appliedIndex (of the snapshot, when nothing after it was applied). */
  private appliedTermValue: number;
  /** Listeners are not told (startNode() replaying the log after the snapshot, or holdListeners). */
  private listenersHeld = false;
  private leader = 0;
  private readonly proposalTimeoutMs: number;
  private readonly kick: () => void;
  private readonly relays: () => readonly number[];

  constructor(options: {
    nodeId: number;
    clusterId: string;
    /** The group's latest snapshot (its storage's snapshot(); index 0: none, start empty). */
    snapshot: Snapshot;
    logger: Logger;
    proposalTimeoutMs: number;
    /** Asks the host for a Ready round after a proposal. */
    kick: () => void;
    /**
     * Members a proposal may be handed to while this node knows no controller (a joiner, not a
     * member yet, hears from no leader): the connected peers. Only the controller appends it.
     */
    relays?: () => readonly number[];
  }) {
    this.nodeId = options.nodeId;
    this.logger = options.logger;
    this.proposalTimeoutMs = options.proposalTimeoutMs;
    this.kick = options.kick;
    this.relays = options.relays ?? (() => []);
    const { snapshot } = options;
    // A snapshot names its own cluster; restoring into an unnamed state adopts it.
    this.state = new MetadataState({ clusterId: snapshot.index > 0 ? '' : options.clusterId, brokers: [], topics: [] });
    if (snapshot.index > 0) this.state.restore(decodeMetadataSnapshot(snapshot.data), false);
    this.appliedIndex = snapshot.index;
    this.appliedTermValue = snapshot.term;
  }

  /**
   * Creates the group's Raft node over `storage` (whose snapshot this group was built from).
   * First the committed entries after the snapshot are applied (a restart), read in slices of
   * at most METADATA_REPLAY_BYTES_MAX; then the node starts with `applied` at the commit index,
   * so the core does not hand the same entries out again. The replayed commands are not handed
   * to onApplied listeners: the broker acted on them before it stopped, and like the snapshot
   * they are the state it starts from, which its parts read once (ClusterNode: replicas.start).
   * Acting on them again would create and delete the logs of every topic that came and went
   * since the snapshot, and would delete the log of a topic deleted and created again since
   * then, which by now holds the new topic's data.
   */
  startNode(storage: Storage & { getHardState(): HardState }, config: Omit<Partial<RaftConfig>, 'applied'> & { id: number }, rng: Rng): RaftNode {
    const commit = storage.getHardState().commit;
    const held = this.listenersHeld;
    this.listenersHeld = true;
    try {
      // Each slice holds at least one entry, so this ends within commit - appliedIndex rounds.
      while (this.appliedIndex < commit) {
        const slice = storage.entries(this.appliedIndex + 1, commit + 1, METADATA_REPLAY_BYTES_MAX);
        invariant(slice.length > 0 && slice[0].index === this.appliedIndex + 1, `metadata entry ${this.appliedIndex + 1} is readable`);
        for (const entry of slice) this.apply(entry);
      }
    } finally {
      this.listenersHeld = held;
    }
    const node = new RaftNode({ ...config, applied: this.appliedIndex }, storage, rng);
    this.attach(node);
    return node;
  }

  /** Binds the Raft node proposals go through (startNode does; a test may bind its own). */
  attach(node: RaftNode): void {
    invariant(this.node === null, 'the metadata group has a Raft node already');
    this.node = node;
  }

  /**
   * Lets go of the Raft node (its log found damage and the host stopped it) and returns a
   * snapshot of the state as applied, which holds committed entries only: the storage opened
   * again restarts its log after it, and startNode runs a new node from there. The state stays;
   * proposals are refused until then, and pending ones are told (the caller retries, as after a
   * leader change: the entry may still commit elsewhere).
   */
  detach(): Snapshot {
    const node = this.node;
    invariant(node !== null, 'the metadata group has a Raft node to let go of');
    const snapshot = this.appliedSnapshot(node.confStateAt(this.appliedIndex));
    this.node = null;
    this.leader = 0;
    this.rejectPending(new NotControllerError(0));
    return snapshot;
  }

  /** A snapshot of the state as applied (committed entries only), with `confState`, the configuration at appliedThrough. */
  appliedSnapshot(confState: ConfState): Snapshot {
    return { index: this.appliedIndex, term: this.appliedTermValue, confState, data: encodeMetadataSnapshot(this.state) };
  }

  get appliedThrough(): number {
    return this.appliedIndex;
  }

  /** The term of the entry at appliedThrough: with the state, what a snapshot taken now records. */
  get appliedTerm(): number {
    return this.appliedTermValue;
  }

  get isController(): boolean {
    return this.leader === this.nodeId;
  }

  get controllerId(): number {
    return this.leader > 0 ? this.leader : -1;
  }

  onApplied(listener: MetadataListener): void {
    this.listeners.push(listener);
  }

  /** Called after an installed snapshot replaced the whole state (no per-command calls for it). */
  onRestored(listener: MetadataRestoredListener): void {
    this.restoredListeners.push(listener);
  }

  /**
   * While held, applied commands and installed snapshots change the state but are not handed to
   * listeners: a broker whose metadata state is older than what it acted on (its metadata Raft
   * state was lost) catches up first and lets its parts read the state once afterwards.
   */
  holdListeners(held: boolean): void {
    this.listenersHeld = held;
  }

  /**
   * Proposes a command and resolves with its result once applied here. A follower forwards the
   * proposal to the controller (Raft 'prop', as etcd's MsgProp) and recognises the entry by its
   * envelope id when it applies, so every broker can change the metadata. Without a known
   * controller it rejects with NotControllerError at once.
   */
  propose(command: MetadataCommand): Promise<ApplyResult> {
    const node = this.node;
    if (node === null) return Promise.reject(new NotControllerError(0));
    const envelope: Envelope = { id: `${this.nodeId}-${this.proposalNonce}-${++this.sequence}`, command };
    const data = [encodeMetadataEntry(envelope)];
    let proposed = node.forwardProposal(data);
    // Knowing no controller (a joiner), hand it to one member we reach, which passes it on to
    // its leader (Raft.forwardProposalTo); each retry asks the next one, so a member that knows
    // no leader either holds nothing up for long.
    if (!proposed.ok && proposed.reason === 'noLeader') {
      const relays = this.relays().filter((id) => id !== this.nodeId);
      if (relays.length > 0) proposed = node.forwardProposalTo(relays[this.sequence % relays.length]!, data);
    }
    if (!proposed.ok) {
      if (proposed.reason === 'noLeader' || proposed.reason === 'notLeader') return Promise.reject(new NotControllerError(this.leader));
      return Promise.reject(new Error(`metadata proposal refused: ${proposed.reason}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.id);
        reject(new MetadataTimeoutError(this.proposalTimeoutMs));
      }, this.proposalTimeoutMs);
      this.pending.set(envelope.id, { resolve, reject, timer });
      this.kick();
    });
  }

  apply(entry: Entry): void {
    if (entry.index <= this.appliedIndex) return;
    this.appliedIndex = entry.index;
    this.appliedTermValue = entry.term;
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const envelope = decodeMetadataEntry(entry.data);
    const result = this.state.apply(envelope.command);
    if (result.ok && !this.listenersHeld) {
      // Every broker applies every command; the controller's line is the one operators read.
      if (this.isController) logMetadataCommand(this.logger, envelope.command);
      for (const listener of this.listeners) listener(envelope.command, this.state);
    }
    const waiter = this.pending.get(envelope.id);
    if (waiter) {
      this.pending.delete(envelope.id);
      clearTimeout(waiter.timer);
      waiter.resolve(result);
    }
  }

  /** The state at `index`, which the host just applied (the core's snapshot request). */
  snapshot(index: number): Uint8Array {
    invariant(index === this.appliedIndex, `metadata snapshot requested at ${index}, but the state is at ${this.appliedIndex}`);
    return encodeMetadataSnapshot(this.state);
  }

  /** Replaces the whole state with a leader's snapshot (this broker was behind its log start). */
  restore(snapshot: Snapshot): void {
    invariant(snapshot.index > this.appliedIndex, `metadata snapshot ${snapshot.index} is not ahead of applied ${this.appliedIndex}`);
    const before = this.appliedIndex;
    this.state.restore(decodeMetadataSnapshot(snapshot.data), false);
    this.appliedIndex = snapshot.index;
    this.appliedTermValue = snapshot.term;
    // Which of the pending proposals the snapshot covers, and how each ended, is unknown: the
    // callers retry, as after a leader change.
    this.rejectPending(new NotControllerError(this.leader));
    this.logger.info(
      { group: metadataGroupName, index: snapshot.index, from: before, topics: this.state.allTopics().length, brokers: this.state.allBrokers().length },
      'metadata snapshot installed',
    );
    if (!this.listenersHeld) for (const listener of this.restoredListeners) listener(this.state);
  }

  onLeaderChange(leader: number): void {
    const previous = this.leader;
    this.leader = leader;
    if (previous !== 0 && leader !== previous) {
      // Proposals made (or forwarded) under the old leader may still commit under the new one,
      // or may be lost; the caller cannot know which, so it gets an error and retries
      // (CreateTopics then answers TOPIC_ALREADY_EXISTS if the first attempt did land).
      this.rejectPending(new NotControllerError(leader));
    }
  }

  private rejectPending(err: Error): void {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.pending.clear();
  }
}

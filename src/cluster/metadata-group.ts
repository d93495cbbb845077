// The metadata Raft group's state machine and the controller built on it (cluster mode).
//
// Every broker hosts a replica of the `__metadata` group and applies the same MetadataCommands in
// the same order to its MetadataState, so each one can answer Metadata requests locally. The
// group's leader is the controller: only it accepts proposals. A command travels as the value of a
// one-record RecordBatch (the group's log is a segment log like a partition's), wrapped in an
// envelope with a proposal id so the proposer can tell the caller how its command ended.
//
// The state is saved to the node store (SQLite) after each applied command together with the
// index it covers. After a restart, entries between that index and the commit index (a crash
// between the Raft commit and the save) are applied again from the log, so nothing is lost.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RaftNode } from '../raft/index.ts';
import type { Entry, Snapshot } from '../raft/types.ts';
import { buildRecordBatch, decodeRecords } from '../protocol/record-batch.ts';
import type { GroupStateMachine } from './raft-host.ts';
import type { Controller, MetadataListener } from './controller.ts';
import { logMetadataCommand } from './local-controller.ts';
import { MetadataState, type ApplyResult, type MetadataCommand, type MetadataSnapshot } from './metadata-state.ts';

export const metadataGroupName = '__metadata';

interface Envelope {
  /**
   * `<node id>-<instance nonce>-<sequence>`: a proposer recognises its own by it. The nonce is
   * new per instance, so an entry proposed before a restart that commits after it cannot
   * answer a caller of the restarted broker whose sequence started again at 1.
   */
  id: string;
  command: MetadataCommand;
}

export interface MetadataCheckpoint {
  snapshot: MetadataSnapshot;
  appliedIndex: number;
}

export interface MetadataPersistence {
  load(): MetadataCheckpoint | undefined;
  save(checkpoint: MetadataCheckpoint): void;
}


export class NotControllerError extends Error {
  readonly leaderId: number;
  constructor(leaderId: number) {
    super(leaderId > 0 ? `this broker is not the controller; broker ${leaderId} is` : 'no controller is elected yet');
    this.name = 'NotControllerError';
    this.leaderId = leaderId;
  }
}

export class MetadataTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`metadata command not applied within ${timeoutMs} ms`);
    this.name = 'MetadataTimeoutError';
  }
}

export function encodeMetadataEntry(envelope: Envelope): Uint8Array {
  return buildRecordBatch({ records: [{ key: null, value: Buffer.from(JSON.stringify(envelope)), timestamp: 0 }] });
}

function decodeMetadataEntry(data: Uint8Array): Envelope {
  const [record] = decodeRecords(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return JSON.parse(record.value!.toString('utf8')) as Envelope;
}

export class MetadataGroup implements GroupStateMachine, Controller {
  state: MetadataState;
  private node: RaftNode | null = null;
  private readonly nodeId: number;
  private readonly persistence: MetadataPersistence;
  private readonly logger: Logger;
  private readonly listeners: MetadataListener[] = [];
  private readonly pending = new Map<string, { resolve: (r: ApplyResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private sequence = 0;
  private readonly proposalNonce = randomBytes(8).toString('hex');
  private appliedIndex: number;
  private leader = 0;
  private readonly proposalTimeoutMs: number;
  private readonly kick: () => void;

  constructor(options: {
    nodeId: number;
    clusterId: string;
    persistence: MetadataPersistence;
    logger: Logger;
    proposalTimeoutMs: number;
    /** Asks the host for a Ready round after a proposal. */
    kick: () => void;
  }) {
    this.nodeId = options.nodeId;
    this.persistence = options.persistence;
    this.logger = options.logger;
    this.proposalTimeoutMs = options.proposalTimeoutMs;
    this.kick = options.kick;
    const checkpoint = this.persistence.load();
    this.state = new MetadataState(checkpoint?.snapshot ?? { clusterId: options.clusterId, brokers: [], topics: [] });
    this.appliedIndex = checkpoint?.appliedIndex ?? 0;
  }

  /** Binds the group's Raft node and applies committed entries the saved state does not cover yet. */
  attach(node: RaftNode, committedEntries: (lo: number, hi: number) => Entry[]): void {
    this.node = node;
    const commit = node.status().commit;
    if (commit > this.appliedIndex) {
      for (const entry of committedEntries(this.appliedIndex + 1, commit + 1)) this.apply(entry);
    }
  }

  get appliedThrough(): number {
    return this.appliedIndex;
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
    const proposed = node.forwardProposal([encodeMetadataEntry(envelope)]);
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
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const envelope = decodeMetadataEntry(entry.data);
    const result = this.state.apply(envelope.command);
    this.persistence.save({ snapshot: this.state.snapshot(), appliedIndex: this.appliedIndex });
    if (result.ok) {
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

  restore(snapshot: Snapshot): void {
    // The metadata log is never compacted yet (snapshot_entries is off for this group), so a
    // snapshot can only be the log-start point of an empty log: nothing to restore.
    if (snapshot.index > this.appliedIndex) {
      throw new Error(`metadata snapshot at ${snapshot.index} beyond applied ${this.appliedIndex} cannot be restored`);
    }
  }

  onLeaderChange(leader: number): void {
    const previous = this.leader;
    this.leader = leader;
    if (previous !== 0 && leader !== previous) {
      // Proposals made (or forwarded) under the old leader may still commit under the new one,
      // or may be lost; the caller cannot know which, so it gets an error and retries
      // (CreateTopics then answers TOPIC_ALREADY_EXISTS if the first attempt did land).
      for (const [id, waiter] of this.pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new NotControllerError(leader));
        this.pending.delete(id);
      }
    }
  }
}

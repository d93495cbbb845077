// A MetadataGroup-like state machine for the replica simulator (replica-sim.ts). It takes
// MetadataGroup's proposal path: any node proposes with forwardProposal (a follower forwards to
// the leader, a leader appends at once, even while its host still writes an earlier Ready), each
// command is a one-record batch carrying an id, and the proposer learns the outcome when it
// applies an entry with its own id. Its state (a hash chain over the applied commands) is saved
// with its applied index after every entry, as MetadataGroup saves to the node store, and after a
// restart the committed entries the saved state does not cover are applied again.
//
// Not the real MetadataGroup: that one draws its proposal-id nonce from crypto and times
// proposals out with setTimeout, which a deterministic simulation must inject first.

import type { GroupStateMachine } from '../../src/raft-host/raft-host.ts';
import type { RaftNode } from '../../src/raft/index.ts';
import type { Entry } from '../../src/raft/types.ts';
import type { RaftLogStorage } from '../../src/partition/raft-log-storage.ts';
import { buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.ts';
import { mix } from './invariants.ts';
import { batchKey } from './offset-ledger.ts';

/** What survives a restart: the node store's copy of the state (durable when written). */
export interface MetaCheckpoint {
  applied: number;
  hash: number;
}

export function encodeCommand(id: string): Buffer {
  return buildRecordBatch({ records: [{ key: null, value: Buffer.from(id), timestamp: 0 }] });
}

function commandId(data: Uint8Array): string {
  const [record] = decodeRecords(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return record.value?.toString('utf8') ?? '';
}

const NO_PROPOSAL = -1;

export class MetaReplica implements GroupStateMachine {
  private node: RaftNode | null = null;
  private leader = 0;
  /** Each waiting proposal's resolve (a function kept, not one made per proposal: tsx names each). */
  private readonly pending = new Map<string, (index: number) => void>();

  constructor(
    private readonly nodeId: number,
    /** The node store's checkpoint for this group (kept on the simulated disk). */
    private readonly checkpoint: MetaCheckpoint,
    private readonly kick: () => void,
    /** Called after each applied entry with the state hash after it. */
    private readonly applied: (entry: Entry, hash: number) => void,
  ) {}

  get appliedIndex(): number {
    return this.checkpoint.applied;
  }

  get isLeader(): boolean {
    return this.leader === this.nodeId;
  }

  /** As MetadataGroup.attach: binds the node and applies committed entries the saved state lacks. */
  attach(node: RaftNode, storage: RaftLogStorage): void {
    this.node = node;
    const commit = node.status().commit;
    const from = Math.max(this.checkpoint.applied + 1, storage.firstIndex());
    if (commit >= from) for (const entry of storage.entries(from, commit + 1, Number.MAX_SAFE_INTEGER)) this.apply(entry);
  }

  /**
   * Proposes command `id` (`command`: encodeCommand(id), which the caller keeps too); resolves with
   * its index once applied here, or NO_PROPOSAL. Null when refused at once.
   */
  propose(id: string, command: Buffer): Promise<number> | null {
    const node = this.node;
    if (node === null || !node.forwardProposal([command]).ok) return null;
    this.kick();
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  apply(entry: Entry): void {
    if (entry.index <= this.checkpoint.applied) return;
    const key = entry.type === 'normal' && entry.data.length > 0 ? batchKey(entry.data) : entry.type === 'config' ? 1 : 0;
    this.checkpoint.hash = mix(mix(this.checkpoint.hash, entry.index), key);
    this.checkpoint.applied = entry.index;
    this.applied(entry, this.checkpoint.hash);
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const id = commandId(entry.data);
    const resolve = this.pending.get(id);
    if (resolve !== undefined) {
      this.pending.delete(id);
      resolve(entry.index);
    }
  }

  onLeaderChange(leader: number): void {
    const previous = this.leader;
    this.leader = leader;
    // As MetadataGroup: a proposal may still commit under the new leader or be lost; its caller is told neither.
    if (previous !== 0 && leader !== previous) {
      for (const resolve of this.pending.values()) resolve(NO_PROPOSAL);
      this.pending.clear();
    }
  }
}

export { NO_PROPOSAL };

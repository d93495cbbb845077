// The small durable state of one partition's Raft group: hard state (term, vote,
// commit), the storage id, the configuration history and the last installed snapshot
// point (docs/storage.md, "raft.state"). Two implementations: a file in the partition
// directory and memory (tests, simulator).
//
// `raft.state` holds two fixed slots of SLOT_BYTES, A (0) and B (1). A write that changes the
// term, the vote, the storage id or the configuration history, every saveNow() and the first
// write after open are mirrored: written to A; sync() (which the Raft host awaits before it acts
// on the state) fsyncs A, then writes the same record (same sequence) to B and fsyncs again,
// both off the event loop; saveNow() does the same synchronously. Any other write (a new commit index, the checkpoint after it) goes to A alone
// and is made durable by sync(). So after any single fault one slot holds the last durable term
// and vote (chaos bug B12): a write torn in A leaves B (the previous mirrored record: same
// term and vote, or the mirrored write never completed and nothing acted on it); a write torn
// in B leaves A, synced; a bit flipped later in either synced slot leaves the other. Falling
// back to B after A's commit-only writes loses only commit and checkpoint progress, which
// open tolerates (the commit need not be durable; the checkpoint is raised to the log start
// and the history is the same). Two faults at once that leave no valid slot make load() report
// the file unreadable (the lost-state path). When only A's alternation decided (before B12),
// a bit flipped in the newer, synced slot loaded the older one: a durable vote forgotten, two
// leaders in one term. Slot layout (big-endian):
//   0..3 magic 0x524e5253 ("RNRS"), 4..5 version 2, 6..7 reserved,
//   8..15 sequence (int64, grows with every write), 16..19 body length, 20..23 CRC-32C of
//   bytes 0..19 and then the body, 24.. body: one JSON object (PersistedRaftState).
// The CRC covers the sequence (chaos bug B11): when it covered the body alone, a write torn
// after the new header's sequence kept the slot's old length, CRC and body, which read as
// valid, so the slot's older state (an older term and vote) became the newest. Version 1
// slots (CRC of the body only; written before) are still read.
// Open reads both slots, takes the valid one with the higher sequence and fsyncs it before
// using it (it may be a write that a killed process never synced).

import { join } from 'node:path';
import { invariant } from '../base/invariant.ts';
import { crc32c } from '../protocol/crc32c.ts';
import type { ConfChange, ConfState, HardState } from '../raft/types.ts';
import { storageFs, type FileSystem } from '../storage/fs.ts';

export const RAFT_STATE_FILE = 'raft.state';
/** One slot; bounds the configuration history a group can keep (about 600 changes). */
export const SLOT_BYTES = 64 * 1024;
const HEADER_BYTES = 24;
/** The header bytes before the CRC, which the CRC covers. */
const CRC_AT = 20;
const MAGIC = 0x524e5253;
const VERSION = 2;
/** Slots written before the CRC covered the header. */
const VERSION_BODY_CRC = 1;
const SYNC_WAITS_MAX = 10_000;

/**
 * The state saved in raft.state. Writers replace its objects and append to or cut its arrays,
 * and never change an object or array element in place: the file store reuses the encoding of
 * every field but the hard state while the field's value is the same (see StateJson).
 */
export interface PersistedRaftState {
  storageId: string;
  hardState: HardState;
  /** Configuration in force after entry `confBase.index` (at or below the log's first index - 1). */
  confBase: { index: number; confState: ConfState };
  /** Committed config entries after confBase, up to `checkpointIndex`, in order. */
  confChanges: { index: number; cc: ConfChange }[];
  /** Every config entry up to here is in confBase/confChanges; later ones are found by scanning the log. */
  checkpointIndex: number;
  /** The last snapshot installed from a leader: the log must hold entry `index` (or have moved past it). */
  /** `raftOnlyBefore`: the snapshot's Kafka offset translation base (absent in states written before it). */
  installed: { index: number; term: number; offset: number; raftOnlyBefore?: number } | null;
}

export interface RaftStateStore {
  /**
   * The newest saved state, made durable before it is returned (recovery acts on it); null when
   * there is none or none is readable (see unreadable()).
   */
  load(): PersistedRaftState | null;
  /** After load() returned null: whether bytes were stored that it could not read (both slots damaged). */
  unreadable(): boolean;
  /** Records the state; durable after the next sync(). */
  save(state: PersistedRaftState): void;
  /** Records the state and makes it durable before returning (rare: installing a snapshot). */
  saveNow(state: PersistedRaftState): void;
  sync(): Promise<void>;
  close(): void;
}

function clone(state: PersistedRaftState): PersistedRaftState {
  return JSON.parse(JSON.stringify(state)) as PersistedRaftState;
}

export class MemoryRaftStateStore implements RaftStateStore {
  private current: PersistedRaftState | null = null;
  private durable: PersistedRaftState | null = null;

  load(): PersistedRaftState | null {
    return this.durable === null ? null : clone(this.durable);
  }
  unreadable(): boolean {
    return false;
  }
  save(state: PersistedRaftState): void {
    assertNotBack(this.current === null ? null : writtenTerm(this.current), state);
    this.current = clone(state);
  }
  saveNow(state: PersistedRaftState): void {
    this.save(state);
    this.durable = this.current;
  }
  async sync(): Promise<void> {
    this.durable = this.current;
  }
  /** Loses what was saved but not synced, like a power loss. */
  crash(): void {
    this.current = this.durable;
  }
  close(): void {}
}

export class FileRaftStateStore implements RaftStateStore {
  private readonly path: string;
  private readonly fs: FileSystem;
  private readonly fd: number;
  private sequence = 0;
  /** The next write goes to both slots: nothing written since open, or the last write failed. */
  private mirrorNext = true;
  /**
   * The newest mirrored record whose copy in slot B is still to be written: sync() writes it
   * after slot A's fdatasync, off the event loop (a mass election must not block it with two
   * synchronous fsyncs per group), and saveNow() at once. It stays here until its copy is
   * durable; a saveNow() during sync()'s fdatasync replaces it with a newer record and writes
   * that one, which tells sync() not to write the older one over it.
   */
  private mirrorPending: Buffer | null = null;
  private dirty = false;
  private syncing = false;
  private inFlight: Promise<void> | null = null;
  /** A state saved while an fdatasync ran; written when it ends, so the synced slot stays as synced. */
  private pending: PersistedRaftState | null = null;
  private unreadableBytes = false;
  /** Of the last state loaded or written (not a pending one): what the next write may not go back from. */
  private last: WrittenTerm | null = null;
  private readonly json = new StateJson();

  constructor(dir: string, fs: FileSystem = storageFs()) {
    this.path = join(dir, RAFT_STATE_FILE);
    this.fs = fs;
    const created = !fs.exists(this.path);
    this.fd = fs.open(this.path, created ? 'w+' : 'r+');
    if (created) {
      fs.fsync(this.fd);
      fs.fsyncDir(dir);
    }
  }

  load(): PersistedRaftState | null {
    const read = (buf: Buffer, offset: number, length: number, position: number) => this.fs.read(this.fd, buf, offset, length, position);
    // Both slots are read once (a restart opens every group: each read parses a JSON body).
    const slots = readSlots(read);
    const best = newestSlot(slots);
    if (best === null) {
      // A file that was never written is empty: the store was created and the process died
      // before its first state. Anything else that reads as nothing is damage.
      this.unreadableBytes = read(Buffer.alloc(1), 0, 1, 0) > 0;
      return null;
    }
    // The slot may have been written and never synced (the process was killed before its
    // fsync; the page cache kept it). The node acts on what it adopts — votes in that term,
    // leads it — so it must not roll back in a later power loss: make it durable first. On a
    // file with nothing dirty this fsync costs next to nothing.
    this.fs.fsync(this.fd);
    // The other slot must hold the same term, vote and history before anything acts on them (a
    // file written before B12's mirrored writes, or a mirrored write whose copy a crash cut off):
    // otherwise a commit-only write torn in the newest slot would fall back to an older term.
    // Usually it does (commit-only writes differ only in the commit), and this costs nothing.
    const other = slots[1 - best.slot];
    if (other === null || !sameDurableState(other.state, best.state)) {
      // The record only (header and body): the rest of a slot is padding nobody reads.
      this.writeSlot(1 - best.slot, best.record);
      this.fs.fsync(this.fd);
    }
    this.sequence = best.sequence;
    // The first write is mirrored too (by the sync() after it).
    this.mirrorNext = true;
    this.last = writtenTerm(best.state);
    return best.state;
  }

  unreadable(): boolean {
    return this.unreadableBytes;
  }

  save(state: PersistedRaftState): void {
    if (this.syncing) {
      this.pending = clone(state);
      return;
    }
    this.write(state);
  }

  /**
   * Writes slot A; when `mirror` or the term, vote, storage id or history changed, the record's
   * copy in slot B follows in sync() (or saveNow()), after A is durable.
   */
  private write(state: PersistedRaftState, mirror = false): void {
    assertNotBack(this.last, state);
    const json = this.json.encode(state);
    const last = this.last;
    const mirrored =
      mirror ||
      this.mirrorNext ||
      this.json.objectsChanged ||
      last === null ||
      last.storageId !== state.storageId ||
      last.term !== state.hardState.term ||
      last.vote !== state.hardState.vote;
    const bodyBytes = Buffer.byteLength(json, 'utf8');
    if (bodyBytes > SLOT_BYTES - HEADER_BYTES) {
      throw new RangeError(`raft state of ${bodyBytes} bytes exceeds the slot of ${SLOT_BYTES - HEADER_BYTES}`);
    }
    // Header and body encoded into one buffer (a hard state is written on every commit change);
    // every header byte is set, the reserved ones to zero.
    const buf = Buffer.allocUnsafe(HEADER_BYTES + bodyBytes);
    buf.write(json, HEADER_BYTES, 'utf8');
    buf.writeUInt32BE(MAGIC, 0);
    buf.writeUInt16BE(VERSION, 4);
    buf.writeUInt16BE(0, 6);
    buf.writeBigInt64BE(BigInt(++this.sequence), 8);
    buf.writeUInt32BE(bodyBytes, 16);
    buf.writeUInt32BE(slotCrc(buf.subarray(0, CRC_AT), buf.subarray(HEADER_BYTES)), CRC_AT);
    // A write that throws (a full disk) leaves mirrorNext as it was: its retry is mirrored too
    // when it had to be (its term and vote still differ from `last`).
    this.writeSlot(0, buf);
    if (mirrored) this.mirrorPending = buf;
    this.mirrorNext = false;
    this.dirty = true;
    this.last = writtenTerm(state);
  }

  private writeSlot(slot: number, buf: Buffer): void {
    let written = 0;
    // writeSync on a regular file writes everything or throws; buf.length bounds it.
    while (written < buf.length) written += this.fs.write(this.fd, buf, written, buf.length - written, slot * SLOT_BYTES + written);
  }

  saveNow(state: PersistedRaftState): void {
    if (this.syncing) {
      // Waiting for the running fdatasync is not possible here; a second synchronous
      // fsync covers both the running round's slot and this write's.
      this.pending = null;
    }
    this.write(state, true);
    this.fs.fsync(this.fd);
    const mirror = this.mirrorPending;
    if (mirror !== null) {
      this.writeSlot(1, mirror);
      this.fs.fsync(this.fd);
      this.mirrorPending = null;
    }
    if (!this.syncing) this.dirty = false;
  }

  async sync(): Promise<void> {
    // A caller arriving during a round waits for it, then runs its own round for what
    // it saved (it went to `pending`). Each wait ends one round some caller started; the
    // bound only guards against a broken invariant.
    for (let guard = 0; this.inFlight !== null; guard++) {
      if (guard > SYNC_WAITS_MAX) throw new Error('raft state sync did not settle');
      await this.inFlight;
    }
    if (!this.dirty) return;
    this.syncing = true;
    const mirror = this.mirrorPending;
    try {
      this.inFlight = this.fs.fdatasync(this.fd);
      await this.inFlight;
      // Slot A holds the record (or a later commit-only one of the same term and vote) durably;
      // now its copy, unless a saveNow() during the await put a newer record in B already.
      if (mirror !== null && this.mirrorPending === mirror) {
        this.writeSlot(1, mirror);
        this.inFlight = this.fs.fdatasync(this.fd);
        await this.inFlight;
        if (this.mirrorPending === mirror) this.mirrorPending = null;
      }
    } catch (err) {
      // Not durable: the copy is still owed (it stays in mirrorPending unless a newer record took its place).
      this.mirrorNext = true;
      throw err;
    } finally {
      this.syncing = false;
      this.inFlight = null;
    }
    // Writes during the round waited in `pending`, except a saveNow(), which fsynced itself.
    this.dirty = false;
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) this.write(pending);
  }

  close(): void {
    this.fs.close(this.fd);
  }
}

/**
 * JSON.stringify(state), the same text, for a state written on every commit change: the hard
 * state changes each time, the configuration history rarely, so the encoding of every other field
 * is kept while its value is the same object (an array: with the same length and end elements;
 * PersistedRaftState's values are never changed in place). Encoding the history each time was
 * most of a write's cost.
 */
export class StateJson {
  private readonly fields = new Map<string, { value: unknown; length: number; first: unknown; last: unknown; json: string }>();
  private readonly keys = new Map<string, string>();
  /**
   * Whether the last encode() changed an object field (the configuration history, the installed
   * snapshot point) since the one before: such a write is mirrored (FileRaftStateStore).
   */
  objectsChanged = true;

  encode(state: PersistedRaftState): string {
    let out = '{';
    this.objectsChanged = false;
    const fields = state as unknown as Record<string, unknown>;
    // Object.keys, not Object.entries: the same order without a pair array per field per write.
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      // An object field that became null (a snapshot point cleared) is a change too.
      if (value === null && this.fields.delete(key)) this.objectsChanged = true;
      const json = key === 'hardState' || value === null || typeof value !== 'object' ? JSON.stringify(value) : this.field(key, value);
      out += `${out.length > 1 ? ',' : ''}${this.keyJson(key)}${json}`;
    }
    return `${out}}`;
  }

  /** `"key":`, kept: the same few keys are written every time. */
  private keyJson(key: string): string {
    let json = this.keys.get(key);
    if (json === undefined) {
      json = `${JSON.stringify(key)}:`;
      this.keys.set(key, json);
    }
    return json;
  }

  private field(key: string, value: object): string {
    const arr = Array.isArray(value) ? (value as unknown[]) : null;
    const length = arr?.length ?? -1;
    const first = arr === null || length === 0 ? undefined : arr[0];
    const last = arr === null || length === 0 ? undefined : arr[length - 1];
    const hit = this.fields.get(key);
    if (hit !== undefined && hit.value === value && hit.length === length && hit.first === first && hit.last === last) return hit.json;
    const json = JSON.stringify(value);
    // A new object with the same content (a copy) is no change.
    if (hit === undefined || hit.json !== json) this.objectsChanged = true;
    this.fields.set(key, { value, length, first, last, json });
    return json;
  }
}

/** CRC-32C of the header bytes before the CRC, then of the body. */
function slotCrc(headerBeforeCrc: Buffer, body: Buffer): number {
  return crc32c(body, 0, body.length, crc32c(headerBeforeCrc, 0, headerBeforeCrc.length));
}

/**
 * Raft §5.1/§5.2: a replica's stored term never goes back, nor its vote within a term (else it
 * could vote twice in a term after a restart). Kept on in production: a write that breaks it is
 * a bug in a writer, and storing it would be worse than stopping. A new storage id is a new
 * replica (the lost-state path), which starts again at term 0.
 */
function assertNotBack(was: WrittenTerm | null, next: PersistedRaftState): void {
  if (was === null || was.storageId !== next.storageId) return;
  const now = next.hardState;
  invariant(now.term >= was.term, () => `raft.state term would go back from ${was.term} to ${now.term}`);
  invariant(
    now.term > was.term || was.vote === 0 || now.vote === was.vote,
    () => `raft.state vote in term ${now.term} would change from ${was.vote} to ${now.vote}`,
  );
}

interface WrittenTerm {
  storageId: string;
  term: number;
  vote: number;
}

function writtenTerm(state: PersistedRaftState): WrittenTerm {
  return { storageId: state.storageId, term: state.hardState.term, vote: state.hardState.vote };
}

type ReadAt = (buf: Buffer, offset: number, length: number, position: number) => number;

/** Whether two states agree on everything but the commit and checkpoint (what B12 mirrors). */
function sameDurableState(a: PersistedRaftState, b: PersistedRaftState): boolean {
  return (
    a.storageId === b.storageId &&
    a.hardState.term === b.hardState.term &&
    a.hardState.vote === b.hardState.vote &&
    JSON.stringify([a.confBase, a.confChanges, a.installed]) === JSON.stringify([b.confBase, b.confChanges, b.installed])
  );
}

/** Both slots, each parsed or null when not valid. */
function readSlots(read: ReadAt): [SlotRecord | null, SlotRecord | null] {
  return [readSlot(read, 0), readSlot(read, 1)];
}

/** The valid slot with the higher sequence, or null. */
function newestSlot(slots: readonly (SlotRecord | null)[]): (SlotRecord & { slot: number }) | null {
  let best: (SlotRecord & { slot: number }) | null = null;
  for (const slot of [0, 1]) {
    const parsed = slots[slot];
    if (parsed !== null && (best === null || parsed.sequence > best.sequence)) best = { slot, ...parsed };
  }
  return best;
}

/** A slot past the end of the file or all zeros in its header: no state was ever written there. */
function slotNeverWritten(read: ReadAt, slot: number): boolean {
  const header = Buffer.alloc(HEADER_BYTES);
  const n = read(header, 0, HEADER_BYTES, slot * SLOT_BYTES);
  return header.subarray(0, n).every((b) => b === 0);
}

/** A valid slot's sequence, state and record (its header and body, as written). */
interface SlotRecord {
  sequence: number;
  state: PersistedRaftState;
  record: Buffer;
}

function readSlot(read: ReadAt, slot: number): SlotRecord | null {
  const header = Buffer.alloc(HEADER_BYTES);
  if (read(header, 0, HEADER_BYTES, slot * SLOT_BYTES) !== HEADER_BYTES) return null;
  const version = header.readUInt16BE(4);
  if (header.readUInt32BE(0) !== MAGIC || (version !== VERSION && version !== VERSION_BODY_CRC)) return null;
  const length = header.readUInt32BE(16);
  if (length > SLOT_BYTES - HEADER_BYTES) return null;
  const record = Buffer.alloc(HEADER_BYTES + length);
  header.copy(record);
  const body = record.subarray(HEADER_BYTES);
  if (read(body, 0, length, slot * SLOT_BYTES + HEADER_BYTES) !== length) return null;
  // A version-2 write torn over a version-1 slot either kept the old version bytes (and so the
  // old sequence: they come first) or fails the version-2 check.
  const crc = version === VERSION ? slotCrc(header.subarray(0, CRC_AT), body) : crc32c(body);
  if (crc !== header.readUInt32BE(CRC_AT)) return null;
  try {
    return { sequence: Number(header.readBigInt64BE(8)), state: JSON.parse(body.toString('utf8')) as PersistedRaftState, record };
  } catch {
    return null;
  }
}

/**
 * How recovery of the log in `dir` learns what its raft.state promises, read without creating or
 * changing anything (PartitionLog.open's options): the stored commit (every entry up to it was
 * synced, raft-log-storage.ts, so a bad batch at or below it is damage, not a torn tail) and the
 * stored current term (no acknowledged entry has a higher one, chaos bug B10). The term bound is
 * given only when it is the newest term ever written: both slots read, or the other one was never
 * written. A slot that does not read may have held a newer term (in a file written before B12's
 * mirrored writes, a flipped bit in it made load fall back to the older slot), and a bound below
 * an entry's real term would cut that entry.
 * Without a readable raft.state: commit 0 and no term bound.
 */
export function raftLogOpenOptions(dir: string, fs: FileSystem = storageFs()): { syncedRaftIndex: number; termMax?: number } {
  const path = join(dir, RAFT_STATE_FILE);
  if (!fs.exists(path)) return { syncedRaftIndex: 0 };
  const fd = fs.open(path, 'r');
  try {
    const read: ReadAt = (buf, offset, length, position) => fs.read(fd, buf, offset, length, position);
    const slots = readSlots(read);
    const hardState = newestSlot(slots)?.state.hardState;
    const commit = hardState?.commit;
    const term = hardState?.term;
    const syncedRaftIndex = typeof commit === 'number' && Number.isSafeInteger(commit) && commit > 0 ? commit : 0;
    const newestKnown = slots.every((parsed, slot) => parsed !== null || slotNeverWritten(read, slot));
    return newestKnown && typeof term === 'number' && Number.isSafeInteger(term) && term >= 0 ? { syncedRaftIndex, termMax: term } : { syncedRaftIndex };
  } finally {
    fs.close(fd);
  }
}

// Binary codec for Raft messages on the peer transport. See docs/transport.md for the layout.
//
// A message is encoded without its `from` and `to`: the connection it travels on already
// says who sent it (the peer proved its node id in the handshake) and who receives it, so a
// peer cannot speak for another node by writing a different `from`, and every message is
// 2–10 bytes shorter. The decoder takes both from the caller.
//
// Integers are unsigned LEB128 varints of at most 8 bytes, which covers every safe integer
// (terms, indexes and node ids are all ≥ 0). Heartbeats carry small numbers, so most fields
// take one or two bytes.
//
// Decoded entries and snapshots do not copy their `data`: it is a subarray view into the
// frame buffer the message was decoded from. The frame (and the socket chunk it lies in)
// therefore stays in memory as long as the host keeps a reference to any entry's data; a
// host that keeps entries for long (an in-memory log) and wants the frame freed copies them.

import { invariant } from '../base/invariant.ts';
import type { ConfState, Entry, EntryType, Member, Message, MessageType, Snapshot } from '../raft/types.ts';

/** Input that does not decode. The connection it came from is closed; the process is not. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/**
 * The wire number of each message type. The order is part of the wire format: append new
 * types at the end and bump PROTOCOL_VERSION in handshake.ts if the meaning changes.
 * 'prop' (12) was appended without a bump: no existing type changed meaning, and a peer that
 * predates it refuses type 12 as unknown (closing that connection), so hosts forward
 * proposals only once every member runs a build that knows 'prop' (docs/transport.md).
 */
const MESSAGE_TYPES: readonly MessageType[] = [
  'app',
  'appResp',
  'hb',
  'hbResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'snap',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
  'prop',
];
const MESSAGE_TYPE_CODES = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i]));

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'config'];

const FLAG_REJECT = 0x01;
const FLAG_ENTRIES = 0x02;
const FLAG_SNAPSHOT = 0x04;
const FLAG_CONTEXT = 0x08;
const FLAG_STORAGE_ID = 0x10;
const FLAG_TO_STORAGE_ID = 0x20;
/** The snapshot's configuration has fenced storage ids (an unsafe recovery): a list after its learners. */
const FLAG_FENCED = 0x40;
const FLAGS_KNOWN = 0x7f;

/** The longest string field (context, storage ids, group names) the decoder accepts. */
export const STRING_BYTES_MAX = 1024;
/** Strings up to this many ASCII chars are written without Buffer.write (see Writer.str). */
const ASCII_COPY_CHARS_MAX = 64;
/** Group tables are bounded so a peer cannot make us remember an unbounded number of names. */
export const INTERNED_GROUPS_MAX = 65_536;

const EMPTY_ENTRIES: Entry[] = Object.freeze([] as Entry[]) as Entry[];

// ---------------------------------------------------------------------------------------------
// Varints

/** Bytes the unsigned varint of `v` takes. */
export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

function checkUint(v: number, what: string): void {
  // Messages come from our own Raft core, so a bad number is a bug in the host, not bad input.
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`transport codec: ${what} must be a safe integer ≥ 0 (got ${v})`);
}

// ---------------------------------------------------------------------------------------------
// Writer: fills a buffer whose size was computed beforehand by the size functions below.

export class Writer {
  readonly buf: Buffer;
  pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  uvarint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        buf[pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A string whose UTF-8 length the caller already knows (it computed the size). */
  str(s: string, byteLength: number): void {
    this.uvarint(byteLength);
    if (byteLength === 0) return;
    // As many UTF-8 bytes as UTF-16 units: every char is ASCII. Short ones (storage ids, group
    // names: several per message) are copied by hand, which costs a quarter of Buffer.write's call.
    if (byteLength === s.length && byteLength <= ASCII_COPY_CHARS_MAX) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < byteLength; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
      return;
    }
    this.pos += this.buf.write(s, this.pos, byteLength, 'utf8');
  }
}

// ---------------------------------------------------------------------------------------------
// Reader: every read checks the bounds and throws CodecError, so truncated or garbage input
// never reads past the frame or allocates more than the frame could describe.

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw new CodecError('truncated: expected a byte');
    return this.buf[this.pos++]!;
  }

  u16(): number {
    if (this.pos + 2 > this.end) throw new CodecError('truncated: expected an u16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    if (this.pos + 4 > this.end) throw new CodecError('truncated: expected an u32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let mul = 1;
    // Eight groups of 7 bits cover 2^56 > 2^53; anything longer is not one of our numbers.
    for (let i = 0; i < 8; i++) {
      if (pos >= this.end) throw new CodecError('truncated: unfinished varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new CodecError('varint above 2^53 - 1');
        this.pos = pos;
        return result;
      }
      mul *= 0x80;
    }
    throw new CodecError('varint longer than 8 bytes');
  }

  /** A view of the next `n` bytes of the frame (no copy). */
  view(n: number): Buffer {
    if (n > this.end - this.pos) throw new CodecError(`truncated: ${n} bytes announced, ${this.end - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(maxBytes = STRING_BYTES_MAX): string {
    const n = this.uvarint();
    if (n > maxBytes) throw new CodecError(`string of ${n} bytes exceeds the limit of ${maxBytes}`);
    if (n > this.end - this.pos) throw new CodecError(`truncated: string of ${n} bytes, ${this.end - this.pos} left`);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A count of items that take at least one byte each; checked against what is left. */
  count(what: string): number {
    const n = this.uvarint();
    if (n > this.end - this.pos) throw new CodecError(`${what} count ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function strSize(byteLength: number): number {
  return uvarintSize(byteLength) + byteLength;
}

function membersSize(members: Member[]): number {
  let n = uvarintSize(members.length);
  for (const m of members) {
    checkUint(m.id, 'member id');
    n += uvarintSize(m.id) + strSize(Buffer.byteLength(m.storageId, 'utf8'));
  }
  return n;
}

function fencedSize(fenced: string[] | undefined): number {
  if (fenced === undefined || fenced.length === 0) return 0;
  let n = uvarintSize(fenced.length);
  for (const id of fenced) n += strSize(Buffer.byteLength(id, 'utf8'));
  return n;
}

function snapshotSize(s: Snapshot): number {
  checkUint(s.index, 'snapshot index');
  checkUint(s.term, 'snapshot term');
  return (
    uvarintSize(s.index) +
    uvarintSize(s.term) +
    membersSize(s.confState.voters) +
    membersSize(s.confState.learners) +
    fencedSize(s.confState.fenced) +
    uvarintSize(s.data.length) +
    s.data.length
  );
}

/**
 * The encoded size of `msg` (without `from`/`to`). Also validates it: a message the host
 * built wrongly throws here, at send(), rather than corrupting a frame.
 */
export function messageSize(msg: Message): number {
  if (!MESSAGE_TYPE_CODES.has(msg.type)) throw new RangeError(`transport codec: unknown message type ${String(msg.type)}`);
  checkUint(msg.term, 'term');
  checkUint(msg.logTerm, 'logTerm');
  checkUint(msg.index, 'index');
  checkUint(msg.commit, 'commit');
  checkUint(msg.rejectHint, 'rejectHint');
  let n = 2 + uvarintSize(msg.term) + uvarintSize(msg.logTerm) + uvarintSize(msg.index) + uvarintSize(msg.commit) + uvarintSize(msg.rejectHint);
  const entries = msg.entries;
  if (entries.length > 0) {
    n += uvarintSize(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      checkUint(e.index, 'entry index');
      checkUint(e.term, 'entry term');
      if (e.type !== 'normal' && e.type !== 'config') throw new RangeError(`transport codec: unknown entry type ${String(e.type)}`);
      n += uvarintSize(e.index) + uvarintSize(e.term) + 1 + uvarintSize(e.data.length) + e.data.length;
    }
  }
  if (msg.snapshot !== null) n += snapshotSize(msg.snapshot);
  if (msg.context !== '') n += strSize(Buffer.byteLength(msg.context, 'utf8'));
  if (msg.storageId !== '') n += strSize(Buffer.byteLength(msg.storageId, 'utf8'));
  if (msg.toStorageId !== '') n += strSize(Buffer.byteLength(msg.toStorageId, 'utf8'));
  return n;
}

function writeMembers(w: Writer, members: Member[]): void {
  w.uvarint(members.length);
  for (const m of members) {
    w.uvarint(m.id);
    w.str(m.storageId, Buffer.byteLength(m.storageId, 'utf8'));
  }
}

/** Writes `msg`; the caller sized the buffer with messageSize(). */
export function writeMessage(w: Writer, msg: Message): void {
  let flags = 0;
  if (msg.reject) flags |= FLAG_REJECT;
  if (msg.entries.length > 0) flags |= FLAG_ENTRIES;
  if (msg.snapshot !== null) flags |= FLAG_SNAPSHOT;
  if (msg.context !== '') flags |= FLAG_CONTEXT;
  if (msg.storageId !== '') flags |= FLAG_STORAGE_ID;
  if (msg.toStorageId !== '') flags |= FLAG_TO_STORAGE_ID;
  const fenced = msg.snapshot?.confState.fenced ?? [];
  if (fenced.length > 0) flags |= FLAG_FENCED;
  w.u8(MESSAGE_TYPE_CODES.get(msg.type)!);
  w.u8(flags);
  w.uvarint(msg.term);
  w.uvarint(msg.logTerm);
  w.uvarint(msg.index);
  w.uvarint(msg.commit);
  w.uvarint(msg.rejectHint);
  if (flags & FLAG_ENTRIES) {
    const entries = msg.entries;
    w.uvarint(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      w.uvarint(e.index);
      w.uvarint(e.term);
      w.u8(e.type === 'normal' ? 0 : 1);
      w.uvarint(e.data.length);
      w.bytes(e.data);
    }
  }
  if (msg.snapshot !== null) {
    const s = msg.snapshot;
    w.uvarint(s.index);
    w.uvarint(s.term);
    writeMembers(w, s.confState.voters);
    writeMembers(w, s.confState.learners);
    if (flags & FLAG_FENCED) {
      w.uvarint(fenced.length);
      for (const id of fenced) w.str(id, Buffer.byteLength(id, 'utf8'));
    }
    w.uvarint(s.data.length);
    w.bytes(s.data);
  }
  if (flags & FLAG_CONTEXT) w.str(msg.context, Buffer.byteLength(msg.context, 'utf8'));
  if (flags & FLAG_STORAGE_ID) w.str(msg.storageId, Buffer.byteLength(msg.storageId, 'utf8'));
  if (flags & FLAG_TO_STORAGE_ID) w.str(msg.toStorageId, Buffer.byteLength(msg.toStorageId, 'utf8'));
}

function readMembers(r: Reader): Member[] {
  const n = r.count('member');
  const out: Member[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = r.uvarint();
    out[i] = { id, storageId: r.str() };
  }
  return out;
}

/** Reads one message sent by `from` to `to`. Entry and snapshot data are views into r.buf. */
export function readMessage(r: Reader, from: number, to: number): Message {
  const typeCode = r.u8();
  const type = MESSAGE_TYPES[typeCode];
  if (type === undefined) throw new CodecError(`unknown message type ${typeCode}`);
  const flags = r.u8();
  if ((flags & ~FLAGS_KNOWN) !== 0) throw new CodecError(`unknown message flags 0x${flags.toString(16)}`);
  const term = r.uvarint();
  const logTerm = r.uvarint();
  const index = r.uvarint();
  const commit = r.uvarint();
  const rejectHint = r.uvarint();
  let entries = EMPTY_ENTRIES;
  if (flags & FLAG_ENTRIES) {
    const n = r.count('entry');
    if (n === 0) throw new CodecError('entries flag set with zero entries');
    entries = new Array<Entry>(n);
    for (let i = 0; i < n; i++) {
      const eIndex = r.uvarint();
      const eTerm = r.uvarint();
      const t = r.u8();
      const eType = ENTRY_TYPES[t];
      if (eType === undefined) throw new CodecError(`unknown entry type ${t}`);
      const len = r.uvarint();
      entries[i] = { index: eIndex, term: eTerm, type: eType, data: r.view(len) };
    }
  }
  if ((flags & FLAG_FENCED) !== 0 && (flags & FLAG_SNAPSHOT) === 0) throw new CodecError('fenced flag set without a snapshot');
  let snapshot: Snapshot | null = null;
  if (flags & FLAG_SNAPSHOT) {
    const sIndex = r.uvarint();
    const sTerm = r.uvarint();
    const confState: ConfState = { voters: readMembers(r), learners: readMembers(r) };
    if (flags & FLAG_FENCED) {
      const n = r.count('fenced storage id');
      const fenced: string[] = new Array(n);
      for (let i = 0; i < n; i++) fenced[i] = r.str();
      confState.fenced = fenced;
    }
    const len = r.uvarint();
    snapshot = { index: sIndex, term: sTerm, confState, data: r.view(len) };
  }
  const context = flags & FLAG_CONTEXT ? r.str() : '';
  const storageId = flags & FLAG_STORAGE_ID ? r.str() : '';
  const toStorageId = flags & FLAG_TO_STORAGE_ID ? r.str() : '';
  // Same property order as newMessage() in src/raft/message.ts, so all messages share a shape.
  return {
    type,
    from,
    to,
    term,
    logTerm,
    index,
    entries,
    commit,
    reject: (flags & FLAG_REJECT) !== 0,
    rejectHint,
    snapshot,
    context,
    storageId,
    toStorageId,
  };
}

// ---------------------------------------------------------------------------------------------
// Group names. Each message in a frame is preceded by a group tag:
//   0        the group name follows as a string; nothing is remembered
//   1        the group name follows and both sides remember it under the next number (0, 1, …)
//   n ≥ 2    the group remembered under number n - 2
// Tables live as long as one connection and are per direction; a new connection starts empty.

const TAG_LITERAL = 0;
const TAG_DEFINE = 1;
const TAG_REF_BASE = 2;

/** The sending side's table. */
export class GroupEncoder {
  private readonly intern: boolean;
  private readonly ids = new Map<string, number>();
  private readonly byteLengths = new Map<string, number>();

  /** With intern=false every message carries its group name (measured in bench/transport.ts). */
  constructor(intern: boolean) {
    this.intern = intern;
  }

  private byteLength(group: string): number {
    let n = this.byteLengths.get(group);
    if (n === undefined) {
      n = Buffer.byteLength(group, 'utf8');
      if (n > STRING_BYTES_MAX) throw new RangeError(`transport codec: group name of ${n} bytes exceeds ${STRING_BYTES_MAX}`);
      // The cache is only an optimisation; bound it like the table itself.
      if (this.byteLengths.size < INTERNED_GROUPS_MAX) this.byteLengths.set(group, n);
    }
    return n;
  }

  /** Bytes the tag for `group` takes if written now (state does not change). */
  tagSize(group: string): number {
    const id = this.ids.get(group);
    if (id !== undefined) return uvarintSize(id + TAG_REF_BASE);
    return 1 + strSize(this.byteLength(group));
  }

  /** Writes the tag for `group`, defining it if it is new and the table has room. */
  write(w: Writer, group: string): void {
    const id = this.ids.get(group);
    if (id !== undefined) {
      w.uvarint(id + TAG_REF_BASE);
      return;
    }
    if (this.intern && this.ids.size < INTERNED_GROUPS_MAX) {
      this.ids.set(group, this.ids.size);
      w.u8(TAG_DEFINE);
    } else {
      w.u8(TAG_LITERAL);
    }
    w.str(group, this.byteLength(group));
  }
}

/** The receiving side's table. */
export class GroupDecoder {
  private readonly names: string[] = [];

  read(r: Reader): string {
    const tag = r.uvarint();
    if (tag === TAG_LITERAL) return r.str();
    if (tag === TAG_DEFINE) {
      if (this.names.length >= INTERNED_GROUPS_MAX) throw new CodecError(`more than ${INTERNED_GROUPS_MAX} groups defined on one connection`);
      const name = r.str();
      this.names.push(name);
      return name;
    }
    const name = this.names[tag - TAG_REF_BASE];
    if (name === undefined) throw new CodecError(`reference to undefined group ${tag - TAG_REF_BASE}`);
    return name;
  }
}

// ---------------------------------------------------------------------------------------------
// Message batches: the body of one MESSAGES frame is a count, then (group tag, message) pairs.

export interface Outgoing {
  group: string;
  msg: Message;
  /** messageSize(msg), computed once at send(). */
  size: number;
}

/** The body size of a batch of `items` given the encoder's current table (no state change). */
export function batchBodySize(groups: GroupEncoder, items: readonly Outgoing[], start: number, end: number): number {
  let n = uvarintSize(end - start);
  for (let i = start; i < end; i++) n += groups.tagSize(items[i]!.group) + items[i]!.size;
  return n;
}

/** Writes the batch body of items[start, end) into w. */
export function writeBatchBody(w: Writer, groups: GroupEncoder, items: readonly Outgoing[], start: number, end: number): void {
  w.uvarint(end - start);
  for (let i = start; i < end; i++) {
    const item = items[i]!;
    groups.write(w, item.group);
    const before = w.pos;
    writeMessage(w, item.msg);
    // The size computed at send() must match what was written, or the frame is corrupt.
    invariant(w.pos - before === item.size, () => `message size ${item.size} but ${w.pos - before} bytes written (mutated after send?)`);
  }
}

export interface Incoming {
  group: string;
  msg: Message;
}

/** Decodes a whole batch body; nothing is returned unless all of it is valid. */
export function readBatchBody(r: Reader, groups: GroupDecoder, from: number, to: number): Incoming[] {
  const n = r.count('message');
  const out: Incoming[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const group = groups.read(r);
    out[i] = { group, msg: readMessage(r, from, to) };
  }
  if (r.remaining !== 0) throw new CodecError(`${r.remaining} bytes after the last message`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convenience for tests and the in-memory transport: one message, no group tag.

export function encodeMessage(msg: Message): Buffer {
  const size = messageSize(msg);
  const w = new Writer(Buffer.allocUnsafe(size));
  writeMessage(w, msg);
  return w.buf;
}

export function decodeMessage(buf: Buffer, from: number, to: number): Message {
  const r = new Reader(buf);
  const msg = readMessage(r, from, to);
  if (r.remaining !== 0) throw new CodecError(`${r.remaining} bytes after the message`);
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Whole MESSAGES frames.

/** Frame bytes besides the messages: length (4), type (1), count varint (at most 5). */
export const MESSAGES_FRAME_OVERHEAD_BYTES = 10;
/** The MESSAGES frame type (see frame.ts; repeated here so the codec needs no import cycle). */
const FRAME_TYPE_MESSAGES = 16;

/**
 * Encodes items as complete MESSAGES frames (length prefix included), as few as fit under
 * `maxFrameBytes` (the length field's limit): one frame unless the items exceed it. Every
 * item must fit in a frame alone (send() checks). Sizes are estimated from the group table
 * before the frame is written, which can only overestimate (a group defined earlier in the
 * same frame becomes a short reference), so a frame never exceeds the limit.
 */
export function encodeMessageFrames(groups: GroupEncoder, items: readonly Outgoing[], maxFrameBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  let start = 0;
  while (start < items.length) {
    let estimate = MESSAGES_FRAME_OVERHEAD_BYTES;
    let end = start;
    while (end < items.length) {
      const item = items[end]!;
      const add = groups.tagSize(item.group) + item.size;
      if (end > start && estimate + add - 4 > maxFrameBytes) break;
      estimate += add;
      end++;
    }
    invariant(estimate - 4 <= maxFrameBytes, () => `a message of ${items[start]!.size} bytes does not fit in a frame of ${maxFrameBytes}`);
    const w = new Writer(Buffer.allocUnsafe(estimate), 5);
    writeBatchBody(w, groups, items, start, end);
    w.buf.writeUInt32BE(w.pos - 4, 0);
    w.buf[4] = FRAME_TYPE_MESSAGES;
    frames.push(w.buf.subarray(0, w.pos));
    start = end;
  }
  return frames;
}

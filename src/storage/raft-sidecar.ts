// The `.raft` sidecar of a segment: where the segment sits in the Raft index space, and the one
// term its entries have (docs/storage.md, "Raft index translation" and "`.raft`").
//
// Layout (big-endian), version 3:
//   0..3    magic 0x524e5249 ("RNRI")
//   4..5    version uint16 = 3
//   6..7    reserved uint16 = 0
//   8..15   firstRaftIndex int64   Raft index of the segment's first batch (of the next
//                                  batch appended, while the segment is empty)
//   16..19  prevTerm int32         term of entry firstRaftIndex - 1 (0 when there is none)
//   20..23  term int32             the term of every batch in the segment; -1 while not known
//                                  (an empty segment made without an entry to hand)
//   24..31  raftOnlyBefore int64   Raft-only batches at log offsets below the segment's base
//                                  (the Kafka offset translation base, offset-translator.ts)
//   32..35  crc uint32             CRC-32C of bytes 0..31
//   36..    one uint32 per .index entry: that batch's number in the segment (its Raft
//           index minus firstRaftIndex); written whole with the index files
//   then    the Raft-only trailer, written with the entries: one uint32 per Raft-only batch
//           of the segment (its offset minus the base offset), their count uint32, magic
//           0x524e524f ("RNRO"), CRC-32C uint32 of the trailer's bytes before it.
// Version 2 (before the Raft-only count) ends its header with the CRC of bytes 0..23 at 24..27;
// version 1 (before the term too) with the CRC of bytes 0..19 at 20..23. Both stay readable: their
// segment's term (version 1) and Raft-only count are not known. A sidecar without a trailer that
// checks out costs one header walk of its segment at open, which then rewrites it as version 3.
//
// The header is written when the segment is created, and made durable (temp file, fsync, rename,
// fsync of the directory) before the segment's .log exists: so a .log never exists without its
// header. It is replaced the same way, and only while its segment holds no batch (an empty
// segment taking the term of its first entry, a header rebuilt at open). The entries after it
// are rewritten whole (like .index) and are rebuilt from the log when they do not check out.

import { storageFs } from './fs.ts';
import { crc32c } from '../protocol/crc32c.ts';
import { fsyncDirSync } from './checkpoint.ts';
import { TMP_SUFFIX } from './file-names.ts';

const HEADER_BYTES_V1 = 24;
const HEADER_BYTES_V2 = 28;
export const RAFT_SIDECAR_HEADER_BYTES = 36;
const MAGIC = 0x524e5249;
const VERSION = 3;
const TRAILER_MAGIC = 0x524e524f;
/** The trailer's count, magic and CRC. */
const TRAILER_FIXED_BYTES = 12;
const INT32_MAX = 0x7fffffff;
const TERM_NOT_KNOWN = -1;

export interface RaftSidecarHeader {
  firstRaftIndex: number;
  prevTerm: number;
  /** The term of every batch in the segment; undefined while not known (or in a version 1 sidecar). */
  term?: number;
  /** Raft-only batches below the segment's base offset; undefined in a version 1 or 2 sidecar (not recorded). */
  raftOnlyBefore?: number;
}

export interface RaftSidecar {
  header: RaftSidecarHeader;
  /** Where the entries start in this file (the header's length, by version). */
  headerBytes: number;
  entries: Buffer;
  /** Offsets (relative to the segment's base) of its Raft-only batches, or null: no usable trailer. */
  raftOnly: number[] | null;
}

function checkTerm(name: string, term: number): void {
  if (!Number.isInteger(term) || term < 0 || term > INT32_MAX) throw new RangeError(`bad ${name} ${term}`);
}

export function encodeRaftSidecarHeader(h: RaftSidecarHeader): Buffer {
  if (!Number.isSafeInteger(h.firstRaftIndex) || h.firstRaftIndex < 1) throw new RangeError(`bad first raft index ${h.firstRaftIndex}`);
  checkTerm('prev term', h.prevTerm);
  if (h.term !== undefined) checkTerm('segment term', h.term);
  const buf = Buffer.alloc(RAFT_SIDECAR_HEADER_BYTES);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt16BE(VERSION, 4);
  buf.writeBigInt64BE(BigInt(h.firstRaftIndex), 8);
  buf.writeInt32BE(h.prevTerm, 16);
  buf.writeInt32BE(h.term ?? TERM_NOT_KNOWN, 20);
  const raftOnlyBefore = h.raftOnlyBefore ?? 0;
  if (!Number.isSafeInteger(raftOnlyBefore) || raftOnlyBefore < 0) throw new RangeError(`bad raft-only count ${raftOnlyBefore}`);
  buf.writeBigInt64BE(BigInt(raftOnlyBefore), 24);
  buf.writeUInt32BE(crc32c(buf, 0, 32), 32);
  return buf;
}

/** Parses a sidecar file's bytes (version 1, 2 or 3); a string says why it cannot be used. */
export function decodeRaftSidecar(buf: Buffer): RaftSidecar | string {
  if (buf.length < HEADER_BYTES_V1) return `${buf.length} bytes, less than the header`;
  if (buf.readUInt32BE(0) !== MAGIC) return 'bad magic';
  const version = buf.readUInt16BE(4);
  if (version !== 1 && version !== 2 && version !== VERSION) return `unknown version ${version}`;
  const headerBytes = version === 1 ? HEADER_BYTES_V1 : version === 2 ? HEADER_BYTES_V2 : RAFT_SIDECAR_HEADER_BYTES;
  if (buf.length < headerBytes) return `${buf.length} bytes, less than the header`;
  if (crc32c(buf, 0, headerBytes - 4) !== buf.readUInt32BE(headerBytes - 4)) return 'header CRC-32C mismatch';
  const firstRaftIndex = Number(buf.readBigInt64BE(8));
  const prevTerm = buf.readInt32BE(16);
  const term = version === 1 ? TERM_NOT_KNOWN : buf.readInt32BE(20);
  const raftOnlyBefore = version === VERSION ? Number(buf.readBigInt64BE(24)) : undefined;
  if (!Number.isSafeInteger(firstRaftIndex) || firstRaftIndex < 1 || prevTerm < 0 || term < TERM_NOT_KNOWN) return 'header fields out of range';
  if (raftOnlyBefore !== undefined && (!Number.isSafeInteger(raftOnlyBefore) || raftOnlyBefore < 0)) return 'header fields out of range';
  const header: RaftSidecarHeader = {
    firstRaftIndex,
    prevTerm,
    ...(term !== TERM_NOT_KNOWN && { term }),
    ...(raftOnlyBefore !== undefined && { raftOnlyBefore }),
  };
  const rest = buf.subarray(headerBytes);
  const trailer = decodeTrailer(rest);
  return { header, headerBytes, entries: trailer === null ? rest : rest.subarray(0, trailer.start), raftOnly: trailer?.offsets ?? null };
}

/** The Raft-only trailer at the end of `rest`, or null when there is none that checks out. */
function decodeTrailer(rest: Buffer): { start: number; offsets: number[] } | null {
  if (rest.length < TRAILER_FIXED_BYTES || rest.readUInt32BE(rest.length - 8) !== TRAILER_MAGIC) return null;
  const count = rest.readUInt32BE(rest.length - 12);
  const start = rest.length - TRAILER_FIXED_BYTES - 4 * count;
  if (start < 0 || start % 4 !== 0) return null;
  if (crc32c(rest, start, rest.length - 4) !== rest.readUInt32BE(rest.length - 4)) return null;
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const rel = rest.readUInt32BE(start + 4 * i);
    if (i > 0 && rel <= offsets[i - 1]) return null;
    offsets.push(rel);
  }
  return { start, offsets };
}

/** The Raft-only trailer for `relativeOffsets` (ascending). */
export function encodeRaftOnlyTrailer(relativeOffsets: readonly number[]): Buffer {
  const n = relativeOffsets.length;
  const buf = Buffer.alloc(4 * n + TRAILER_FIXED_BYTES);
  for (let i = 0; i < n; i++) buf.writeUInt32BE(relativeOffsets[i], 4 * i);
  buf.writeUInt32BE(n, 4 * n);
  buf.writeUInt32BE(TRAILER_MAGIC, 4 * n + 4);
  buf.writeUInt32BE(crc32c(buf, 0, 4 * n + 8), 4 * n + 8);
  return buf;
}

/**
 * Writes a sidecar holding `h` and `rest` (by default: no entries, an empty Raft-only trailer),
 * durably and atomically (temp file fsynced, renamed over the old file, directory fsynced): a
 * crash leaves the old file or the new one, never neither. Called before the segment's .log is
 * created, to replace the header of a segment without batches, and at open to rewrite a sidecar
 * of an older version (rest: its entries and the trailer).
 */
export function createRaftSidecar(path: string, dir: string, h: RaftSidecarHeader, rest: Buffer = encodeRaftOnlyTrailer([])): void {
  const body = Buffer.concat([encodeRaftSidecarHeader(h), rest]);
  const fs = storageFs();
  // Open removes a leftover temp file (its name ends in TMP_SUFFIX).
  const tmp = path + TMP_SUFFIX;
  const fd = fs.open(tmp, 'w');
  try {
    let written = 0;
    // writeSync on a regular file writes everything or throws; body.length bounds it.
    while (written < body.length) written += fs.write(fd, body, written, body.length - written, written);
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(tmp, path);
  fsyncDirSync(dir);
}

export function readRaftSidecar(path: string): RaftSidecar | string {
  const fs = storageFs();
  if (!fs.exists(path)) return 'missing';
  return decodeRaftSidecar(fs.readFile(path));
}

/** Replaces everything after the header (`headerBytes` long) with `entries`; the caller fsyncs later. */
export function writeRaftSidecarEntries(path: string, headerBytes: number, entries: Buffer): void {
  const fs = storageFs();
  const fd = fs.open(path, 'r+');
  try {
    let written = 0;
    // writeSync on a regular file writes everything or throws; entries.length bounds it.
    while (written < entries.length) {
      written += fs.write(fd, entries, written, entries.length - written, headerBytes + written);
    }
    fs.truncate(fd, headerBytes + entries.length);
  } finally {
    fs.close(fd);
  }
}

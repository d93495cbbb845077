// The `.raft` sidecar of a segment: where the segment sits in the Raft index space, and the one
// term its entries have (docs/storage.md, "Raft index translation" and "`.raft`").
//
// Layout (big-endian), version 2:
//   0..3    magic 0x524e5249 ("RNRI")
//   4..5    version uint16 = 2
//   6..7    reserved uint16 = 0
//   8..15   firstRaftIndex int64   Raft index of the segment's first batch (of the next
//                                  batch appended, while the segment is empty)
//   16..19  prevTerm int32         term of entry firstRaftIndex - 1 (0 when there is none)
//   20..23  term int32             the term of every batch in the segment; -1 while not known
//                                  (an empty segment made without an entry to hand)
//   24..27  crc uint32             CRC-32C of bytes 0..23
//   28..    one uint32 per .index entry: that batch's number in the segment (its Raft
//           index minus firstRaftIndex); written whole with the index files
// Version 1 (written before the term was recorded) has no term field: its CRC sits at 20..23 and
// its entries start at 24. It stays readable; its segment's term is not known.
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
export const RAFT_SIDECAR_HEADER_BYTES = 28;
const MAGIC = 0x524e5249;
const VERSION = 2;
const INT32_MAX = 0x7fffffff;
const TERM_NOT_KNOWN = -1;

export interface RaftSidecarHeader {
  firstRaftIndex: number;
  prevTerm: number;
  /** The term of every batch in the segment; undefined while not known (or in a version 1 sidecar). */
  term?: number;
}

export interface RaftSidecar {
  header: RaftSidecarHeader;
  /** Where the entries start in this file (the header's length, by version). */
  headerBytes: number;
  entries: Buffer;
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
  buf.writeUInt32BE(crc32c(buf, 0, 24), 24);
  return buf;
}

/** Parses a sidecar file's bytes (version 1 or 2); a string says why it cannot be used. */
export function decodeRaftSidecar(buf: Buffer): RaftSidecar | string {
  if (buf.length < HEADER_BYTES_V1) return `${buf.length} bytes, less than the header`;
  if (buf.readUInt32BE(0) !== MAGIC) return 'bad magic';
  const version = buf.readUInt16BE(4);
  if (version !== 1 && version !== VERSION) return `unknown version ${version}`;
  const headerBytes = version === 1 ? HEADER_BYTES_V1 : RAFT_SIDECAR_HEADER_BYTES;
  if (buf.length < headerBytes) return `${buf.length} bytes, less than the header`;
  if (crc32c(buf, 0, headerBytes - 4) !== buf.readUInt32BE(headerBytes - 4)) return 'header CRC-32C mismatch';
  const firstRaftIndex = Number(buf.readBigInt64BE(8));
  const prevTerm = buf.readInt32BE(16);
  const term = version === 1 ? TERM_NOT_KNOWN : buf.readInt32BE(20);
  if (!Number.isSafeInteger(firstRaftIndex) || firstRaftIndex < 1 || prevTerm < 0 || term < TERM_NOT_KNOWN) return 'header fields out of range';
  const header: RaftSidecarHeader = term === TERM_NOT_KNOWN ? { firstRaftIndex, prevTerm } : { firstRaftIndex, prevTerm, term };
  return { header, headerBytes, entries: buf.subarray(headerBytes) };
}

/**
 * Writes a sidecar holding only `h`, durably and atomically (temp file fsynced, renamed over the
 * old file, directory fsynced): a crash leaves the old file or the new one, never neither. Called
 * before the segment's .log is created, and to replace the header of a segment without batches.
 */
export function createRaftSidecar(path: string, dir: string, h: RaftSidecarHeader): void {
  const body = encodeRaftSidecarHeader(h);
  const fs = storageFs();
  // Open removes a leftover temp file (its name ends in TMP_SUFFIX).
  const tmp = path + TMP_SUFFIX;
  const fd = fs.open(tmp, 'w');
  try {
    fs.write(fd, body, 0, body.length, 0);
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

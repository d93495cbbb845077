// The `.raft` sidecar of a segment: where the segment sits in the Raft index space
// (docs/storage.md, "Raft index translation").
//
// Layout (big-endian):
//   0..3    magic 0x524e5249 ("RNRI")
//   4..5    version uint16 = 1
//   6..7    reserved uint16 = 0
//   8..15   firstRaftIndex int64   Raft index of the segment's first batch (of the next
//                                  batch appended, while the segment is empty)
//   16..19  prevTerm int32         term of entry firstRaftIndex - 1 (0 when there is none)
//   20..23  crc uint32             CRC-32C of bytes 0..19
//   24..    one uint32 per .index entry: that batch's number in the segment (its Raft
//           index minus firstRaftIndex); written whole with the index files
//
// The header is written once, when the segment is created, and fsynced together with
// the directory before the segment's .log exists: so a .log never exists without its
// header. The header is never rewritten in place; the entries after it are rewritten
// whole (like .index) and are rebuilt from the log when they do not check out.

import { storageFs } from './fs.ts';
import { crc32c } from '../protocol/crc32c.ts';
import { fsyncDirSync } from './checkpoint.ts';

export const RAFT_SIDECAR_HEADER_BYTES = 24;
const MAGIC = 0x524e5249;
const VERSION = 1;
const INT32_MAX = 0x7fffffff;

export interface RaftSidecarHeader {
  firstRaftIndex: number;
  prevTerm: number;
}

export function encodeRaftSidecarHeader(h: RaftSidecarHeader): Buffer {
  if (!Number.isSafeInteger(h.firstRaftIndex) || h.firstRaftIndex < 1) throw new RangeError(`bad first raft index ${h.firstRaftIndex}`);
  if (!Number.isInteger(h.prevTerm) || h.prevTerm < 0 || h.prevTerm > INT32_MAX) throw new RangeError(`bad prev term ${h.prevTerm}`);
  const buf = Buffer.alloc(RAFT_SIDECAR_HEADER_BYTES);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt16BE(VERSION, 4);
  buf.writeBigInt64BE(BigInt(h.firstRaftIndex), 8);
  buf.writeInt32BE(h.prevTerm, 16);
  buf.writeUInt32BE(crc32c(buf, 0, 20), 20);
  return buf;
}

/** Parses a sidecar file's bytes; a string says why it cannot be used. */
export function decodeRaftSidecar(buf: Buffer): { header: RaftSidecarHeader; entries: Buffer } | string {
  if (buf.length < RAFT_SIDECAR_HEADER_BYTES) return `${buf.length} bytes, less than the header`;
  if (buf.readUInt32BE(0) !== MAGIC) return 'bad magic';
  if (buf.readUInt16BE(4) !== VERSION) return `unknown version ${buf.readUInt16BE(4)}`;
  if (crc32c(buf, 0, 20) !== buf.readUInt32BE(20)) return 'header CRC-32C mismatch';
  const firstRaftIndex = Number(buf.readBigInt64BE(8));
  const prevTerm = buf.readInt32BE(16);
  if (!Number.isSafeInteger(firstRaftIndex) || firstRaftIndex < 1 || prevTerm < 0) return 'header fields out of range';
  return { header: { firstRaftIndex, prevTerm }, entries: buf.subarray(RAFT_SIDECAR_HEADER_BYTES) };
}

/**
 * Creates the sidecar with its header, durably (file and directory fsynced), replacing
 * a stale file of the same name. Called before the segment's .log is created.
 */
export function createRaftSidecar(path: string, dir: string, h: RaftSidecarHeader): void {
  const body = encodeRaftSidecarHeader(h);
  const fs = storageFs();
  if (fs.exists(path)) fs.unlink(path);
  const fd = fs.open(path, 'wx');
  try {
    fs.write(fd, body, 0, body.length, 0);
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fsyncDirSync(dir);
}

export function readRaftSidecar(path: string): { header: RaftSidecarHeader; entries: Buffer } | string {
  const fs = storageFs();
  if (!fs.exists(path)) return 'missing';
  return decodeRaftSidecar(fs.readFile(path));
}

/** Replaces everything after the header with `entries`; the caller fsyncs later. */
export function writeRaftSidecarEntries(path: string, entries: Buffer): void {
  const fs = storageFs();
  const fd = fs.open(path, 'r+');
  try {
    let written = 0;
    // writeSync on a regular file writes everything or throws; entries.length bounds it.
    while (written < entries.length) {
      written += fs.write(fd, entries, written, entries.length - written, RAFT_SIDECAR_HEADER_BYTES + written);
    }
    fs.truncate(fd, RAFT_SIDECAR_HEADER_BYTES + entries.length);
  } finally {
    fs.close(fd);
  }
}

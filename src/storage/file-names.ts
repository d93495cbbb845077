// File and directory names of the on-disk layout (docs/storage.md).

import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** The segment's place in the Raft index space (raft-sidecar.ts). */
export const RAFT_SUFFIX = '.raft';
/** A snapshot of state derived from the log (the producer state) as of the offset in its name. */
export const SNAPSHOT_SUFFIX = '.snapshot';
export const CHECKPOINT_FILE = 'partition.checkpoint';
/** The topic id the partition directory belongs to (partition-metadata.ts). */
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const TMP_SUFFIX = '.tmp';

const BASE_NAME_DIGITS = 20;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex|raft)$/;
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
/** Kafka's legal topic characters and length. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const PARTITION_DIR = /^(.+)-(\d{1,9})$/;
/** `<topic>-<partition>.<32 hex digits>-delete`: a partition directory marked for deletion (Kafka's form). */
const DELETED_DIR = /^(.+)-(\d{1,9})\.[0-9a-f]{32}-delete$/;

export function segmentBaseName(baseOffset: number): string {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) throw new RangeError(`bad base offset ${baseOffset}`);
  return String(baseOffset).padStart(BASE_NAME_DIGITS, '0');
}

export interface SegmentPaths {
  log: string;
  index: string;
  timeIndex: string;
  raft: string;
}

export function segmentPaths(dir: string, baseOffset: number): SegmentPaths {
  const base = join(dir, segmentBaseName(baseOffset));
  return { log: base + LOG_SUFFIX, index: base + INDEX_SUFFIX, timeIndex: base + TIME_INDEX_SUFFIX, raft: base + RAFT_SUFFIX };
}

/** Parses `00000000000000001234.log` and its index and sidecar files; null for anything else. */
export function parseSegmentFile(name: string): { baseOffset: number; kind: 'log' | 'index' | 'timeindex' | 'raft' } | null {
  const m = SEGMENT_FILE.exec(name);
  if (!m) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as 'log' | 'index' | 'timeindex' | 'raft' };
}

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, segmentBaseName(offset) + SNAPSHOT_SUFFIX);
}

/** Parses `00000000000000001234.snapshot` into its offset; null for anything else. */
export function parseSnapshotFile(name: string): number | null {
  const m = SNAPSHOT_FILE.exec(name);
  if (!m) return null;
  const offset = Number(m[1]);
  return Number.isSafeInteger(offset) ? offset : null;
}

export function isValidTopicName(topic: string): boolean {
  return TOPIC_NAME.test(topic) && topic !== '.' && topic !== '..';
}

export function partitionDirName(topic: string, partition: number): string {
  if (!isValidTopicName(topic)) throw new RangeError(`illegal topic name ${JSON.stringify(topic)}`);
  if (!Number.isInteger(partition) || partition < 0 || partition > 999_999_999) {
    throw new RangeError(`illegal partition ${partition}`);
  }
  return `${topic}-${partition}`;
}

/** Topic names may contain '-', so the partition is whatever follows the LAST '-'. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = PARTITION_DIR.exec(name);
  if (!m || !isValidTopicName(m[1])) return null;
  return { topic: m[1], partition: Number(m[2]) };
}

/**
 * The name a partition directory is renamed to when its deletion starts: once renamed, the
 * partition's own name is free for a new topic of that name, and a restart finds the marked
 * directory and finishes the deletion. `uniqueId` is 32 hex digits (a random UUID).
 */
export function deletedPartitionDirName(name: string, uniqueId: string): string {
  if (parsePartitionDirName(name) === null || !/^[0-9a-f]{32}$/.test(uniqueId)) throw new RangeError(`bad deletion name for ${JSON.stringify(name)}`);
  return `${name}.${uniqueId}-delete`;
}

/** True for a directory name made by deletedPartitionDirName. */
export function isDeletedPartitionDirName(name: string): boolean {
  const m = DELETED_DIR.exec(name);
  return m !== null && isValidTopicName(m[1]);
}

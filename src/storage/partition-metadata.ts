// `partition.metadata`: which topic incarnation a partition directory belongs to (as Kafka's file
// of that name, KIP-516). A topic deleted and created again under the same name has a new topic
// id, and a directory whose file names another id is never opened as the new topic's log.
//
//   version: 0
//   topic_id: 0f3c…(32 lowercase hex digits)
//
// Written atomically and fsynced (with the directory) before anything else goes into a new
// partition directory, so a directory without the file holds no data written by this version: it
// is either empty or was written before topic ids existed (LogManager adopts it, docs/storage.md).

import { storageFs } from './fs.ts';
import { join } from 'node:path';
import { writeFileDurablySync } from './checkpoint.ts';
import { LogCorruptionError } from './errors.ts';
import { PARTITION_METADATA_FILE } from './file-names.ts';

const VERSION = 0;
const TOPIC_ID = /^[0-9a-f]{32}$/;

/** The topic id recorded in `dir`, or null when the directory has no partition.metadata. */
export function readPartitionTopicId(dir: string): string | null {
  const path = join(dir, PARTITION_METADATA_FILE);
  const fs = storageFs();
  if (!fs.exists(path)) return null;
  const fields = new Map<string, string>();
  for (const line of fs.readFile(path).toString('utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const topicId = fields.get('topic_id') ?? '';
  // Never guess: a wrong answer would either delete a live log or serve another topic's records.
  if (fields.get('version') !== String(VERSION) || !TOPIC_ID.test(topicId)) {
    throw new LogCorruptionError(path, `expected "version: ${VERSION}" and "topic_id: <32 hex digits>"`);
  }
  return topicId;
}

export function writePartitionTopicId(dir: string, topicId: string): void {
  if (!TOPIC_ID.test(topicId)) throw new RangeError(`topic id ${JSON.stringify(topicId)} is not 32 lowercase hex digits`);
  writeFileDurablySync(dir, PARTITION_METADATA_FILE, `version: ${VERSION}\ntopic_id: ${topicId}\n`);
}

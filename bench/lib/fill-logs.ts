// Fills partition logs on disk fast, for benchmarks that need gigabytes of data (bench/restart.ts):
// batches go straight into a Partition over its PartitionLog, not over the network, and the
// partition is closed as a broker closes it (so it leaves its producer snapshot). Most batches are one reused
// 64 KiB-ish plain batch (its CRC-32C does not cover the offset and epoch the log stamps, so
// the same bytes are valid at every offset); every `idempotentEvery`-th batch is a small batch
// of one of a few idempotent producers with the next sequence number, so the partitions carry
// real producer state (KIP-98) that a restart has to recover.

import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { logConfig } from '../../src/storage/log-config.ts';
import { CHECKPOINT_FILE } from '../../src/storage/file-names.ts';
import { Partition } from '../../src/partition/partition.ts';

export interface FillOptions {
  /** Partition directories (each holds a partition.checkpoint). */
  dirs: string[];
  bytesPerPartition: number;
  segmentBytes: number;
  /** Size of the reused plain batch. */
  batchBytes: number;
  /** One batch in this many is an idempotent one. */
  idempotentEvery: number;
  /** Idempotent producers per partition (ids base + 0 .. count - 1). */
  producersPerPartition: number;
  producerIdBase: number;
  onProgress?: (doneBytes: number) => void;
}

/** The partition directories under a broker data dir, however they are named. */
export function partitionDirs(dataDir: string): string[] {
  const out: string[] = [];
  // The data dir holds the node store and one directory per partition; a partition directory is
  // one with a partition.checkpoint, which keeps this independent of the naming scheme.
  for (const name of readdirSync(dataDir, { withFileTypes: true })) {
    if (!name.isDirectory()) continue;
    const dir = join(dataDir, name.name);
    if (existsSync(join(dir, CHECKPOINT_FILE))) out.push(dir);
  }
  return out.sort();
}

function plainBatch(batchBytes: number): Buffer {
  const recordBytes = 1000;
  const count = Math.max(1, Math.floor(batchBytes / (recordBytes + 20)));
  const value = Buffer.alloc(recordBytes, 0x61);
  return buildRecordBatch({ records: Array.from({ length: count }, () => ({ value, timestamp: Date.now() })) });
}

/** Appends until every partition holds bytesPerPartition; closes each log cleanly. Returns bytes written. */
export async function fillLogs(options: FillOptions): Promise<number> {
  const template = plainBatch(options.batchBytes);
  const config = logConfig({ segmentBytes: options.segmentBytes, flush: { mode: 'none', intervalMs: 1000 } });
  let total = 0;
  for (const dir of options.dirs) {
    const log = PartitionLog.open(dir, config);
    const partition = new Partition('fill', 0, log, 'none');
    await partition.producerState.loading;
    const sequences = new Array<number>(options.producersPerPartition).fill(0);
    let n = 0;
    // Each iteration appends one batch of at least 61 bytes, so the size bounds the loop.
    while (log.sizeBytes < options.bytesPerPartition) {
      n++;
      if (n % options.idempotentEvery === 0) {
        const k = n % options.producersPerPartition;
        const records = 1 + (n % 5);
        const batch = buildRecordBatch({
          records: Array.from({ length: records }, (_, i) => ({ value: `p${k}-${sequences[k] + i}`, timestamp: Date.now() })),
          producerId: options.producerIdBase + k,
          producerEpoch: 0,
          baseSequence: sequences[k],
        });
        sequences[k] += records;
        partition.append([batch], 0);
      } else {
        partition.append([template], 0);
      }
    }
    total += log.sizeBytes;
    await partition.close();
    options.onProgress?.(total);
  }
  return total;
}

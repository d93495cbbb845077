// Child process of bench/restart.ts for its worst case: leaves each partition directory as a broker
// leaves it when it is killed with SIGKILL while writing at full speed. A broker records its
// recovery point every recoveryPointIntervalMs (1 s) up to what it has synced, so what a kill finds
// unrecorded is what it wrote in the last second or so: here `unrecordedBytes` spread over the
// partitions. For each log: the last `unrecordedBytes / partitions` bytes are cut, the rest is
// synced and its recovery point recorded as the broker does (PartitionLog.persistRecoveryPoint),
// the cut bytes are written again without a sync (page cache only), and the process kills itself.
// The cut also drops the producer snapshot a clean close took, as a crash leaves none.
//
//   node --import tsx bench/lib/crash-writer.ts <segmentBytes> <unrecordedBytes> <dir>...

import { PartitionLog } from '../../src/storage/partition-log.ts';
import { logConfig } from '../../src/storage/log-config.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';

const [segmentBytesText, unrecordedText, ...dirs] = process.argv.slice(2);
const segmentBytes = Number(segmentBytesText);
const perLogBytes = Math.floor(Number(unrecordedText) / dirs.length);
const config = logConfig({ segmentBytes, flush: { mode: 'group', intervalMs: 1000 } });
const RECORD_BYTES = 1000;
const batch = buildRecordBatch({
  records: Array.from({ length: 64 }, () => ({ value: Buffer.alloc(RECORD_BYTES, 0x62), timestamp: Date.now() })),
});

let unrecorded = 0;
for (const dir of dirs) {
  const log = PartitionLog.open(dir, config);
  const keepBytes = Math.max(0, log.sizeBytes - perLogBytes);
  // Offsets per byte are about even (the fill's batches), so this offset is about keepBytes in.
  const cutOffset = log.logStartOffset + Math.floor(((log.logEndOffset - log.logStartOffset) * keepBytes) / Math.max(1, log.sizeBytes));
  log.truncateTo(Math.max(cutOffset, log.logStartOffset));
  await log.flush();
  await log.persistRecoveryPoint();
  const before = log.sizeBytes;
  // Each append adds one batch of about 64 KiB; perLogBytes bounds the loop.
  while (log.sizeBytes - before < perLogBytes) log.append(Buffer.from(batch), 0);
  unrecorded += log.sizeBytes - before;
}
console.log(JSON.stringify({ logs: dirs.length, unrecordedBytes: unrecorded }));
// Like kill -9: no close, so no clean-shutdown checkpoint and no producer snapshot.
process.kill(process.pid, 'SIGKILL');

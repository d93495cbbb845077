// Loads a partition's producer state (KIP-98) from its log, in steps of a LoadQueue: the newest
// usable producer snapshot at or below the log end (Kafka's <offset>.snapshot), then the batch
// headers after it up to the log end (Log.readHeaders: the records are never read, so a log of
// large batches costs a small read per batch). A snapshot that fails its checks is logged, deleted and the
// next older one tried; with none the whole retained log is replayed.
//
// The log may grow while this runs (appends, or a follower's replication): every step replays up
// to the log end of that moment, and the load finishes in the step that reaches it, so the caller
// switches to the loaded table in the same turn and records every later batch itself. The log
// start may move (retention): a step that finds its position gone starts over from the snapshots.

import type { BatchHeader } from '../protocol/record-batch.ts';
import { OffsetOutOfRangeError } from '../storage/errors.ts';
import { invariant } from '../base/invariant.ts';
import type { LogLike } from '../storage/log-config.ts';
import type { Log } from '../storage/log.ts';
import type { LoadJob } from './load-queue.ts';
import { ProducerStateTable } from './producer-state.ts';
import { decodeProducerSnapshot } from './producer-snapshot.ts';

export class ProducerStateLoad implements LoadJob {
  private readonly log: Log;
  private readonly producersMax: number;
  private readonly logger: LogLike;
  private readonly where: string;
  private readonly onDone: (table: ProducerStateTable, from: number) => void;
  private table: ProducerStateTable | null = null;
  /** The next offset to replay; every batch below it is in `table`. */
  private position = 0;
  /** Where the replay started (the snapshot's offset, or the log start). */
  private from = 0;

  constructor(log: Log, options: { producersMax: number; logger: LogLike; where: string }, onDone: (table: ProducerStateTable, from: number) => void) {
    this.log = log;
    this.producersMax = options.producersMax;
    this.logger = options.logger;
    this.where = options.where;
    this.onDone = onDone;
  }

  step(budgetBytes: number): { bytes: number; done: boolean } {
    let bytes = 0;
    if (this.table === null) bytes += this.start();
    // Each read returns at least one batch header and moves the position past it, and the budget
    // bounds the bytes read in one step (a step may pass it by one window).
    while (this.position < this.log.logEndOffset && bytes < budgetBytes) {
      const end = this.log.logEndOffset;
      let read;
      try {
        read = this.log.readHeaders(this.position, budgetBytes - bytes, end);
      } catch (err) {
        if (!(err instanceof OffsetOutOfRangeError)) throw err;
        // Retention moved the log start past the position: what came in between is gone, so the
        // table would miss it. Start over from the snapshots, which were pruned with it.
        this.table = null;
        return { bytes, done: false };
      }
      invariant(read.nextOffset > this.position && read.headers.length > 0, () => `producer state replay of ${this.where} moves on from ${this.position}`);
      this.replay(read.headers, this.position);
      bytes += read.bytesRead;
      this.position = read.nextOffset;
    }
    if (this.position < this.log.logEndOffset) return { bytes, done: false };
    this.onDone(this.table!, this.from);
    return { bytes, done: true };
  }

  /** Picks the starting point: the newest snapshot that checks out, else the log start. Returns bytes read. */
  private start(): number {
    const log = this.log;
    const snapshots = log.snapshots;
    let bytes = 0;
    const candidates = (snapshots?.offsets() ?? []).filter((o) => o >= log.logStartOffset && o <= log.logEndOffset).reverse();
    for (const offset of candidates) {
      const buf = snapshots!.read(offset);
      if (buf === null) continue;
      bytes += buf.length;
      const decoded = decodeProducerSnapshot(buf, offset, this.producersMax);
      if (typeof decoded !== 'string') {
        this.table = decoded;
        this.position = this.from = offset;
        return bytes;
      }
      this.logger.warn({ partition: this.where, offset, reason: decoded }, 'producer snapshot ignored');
      snapshots!.discard(offset);
    }
    this.table = new ProducerStateTable(this.producersMax);
    this.position = this.from = log.logStartOffset;
    return bytes;
  }

  private replay(headers: readonly BatchHeader[], position: number): void {
    const table = this.table!;
    for (const header of headers) {
      // The first batch may start before the position (a log start inside it): it was counted.
      if (header.producerId >= 0 && header.baseOffset + header.lastOffsetDelta >= position) table.record(header, header.baseOffset);
    }
  }
}

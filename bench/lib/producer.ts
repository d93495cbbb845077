// The raw client's two produce loops, shared by bench/produce-consume.ts (one broker) and
// bench/cluster.ts (each partition's batches to that partition's leader).
//
// Flat out: batches of `batchSize` records, partitions in turn, at most `inflight` requests
// waiting (over all connections), latency per record from its batch being built to its ack.
// At a rate: every pass sends what is due by now as one batch per partition, then sleeps about
// a millisecond; latency runs from each record's scheduled slot to its ack (no coordinated
// omission), split into the client's share (slot -> request written) and the broker's
// (request written -> ack).

import type { RawClient } from './raw-client.ts';
import { buildBatch, type RecordInput } from './record-batch.ts';
import { Histogram } from '../../src/client/histogram.ts';

export interface ProduceResult {
  seconds: number;
  hist: Histogram;
  acked: number;
  /** --rate mode: time from a record's scheduled slot to its request being written (client side). */
  sendDelay?: Histogram;
  /** --rate mode: time from a request being written to its acknowledgement (broker and network). */
  requestLatency?: Histogram;
}

export interface ProduceLoopOptions {
  topic: string;
  partitions: number;
  /** The connection a partition's batches go to (its leader's, in a cluster). */
  clientFor: (partition: number) => RawClient;
  total: number;
  size: number;
  batchSize: number;
  acks: -1 | 1;
}

/** A value of `size` bytes for record `i`; contents vary so compression-free storage is honest. */
export function recordValue(i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  b.fill(i & 0xff);
  b.writeUInt32BE(i >>> 0, 0);
  return b;
}

export function numberedRecords(from: number, count: number, size: number, now: number): RecordInput[] {
  const out: RecordInput[] = new Array(count);
  for (let k = 0; k < count; k++) out[k] = { key: null, value: recordValue(from + k, size), timestamp: now };
  return out;
}

export async function produceFlatOut(o: ProduceLoopOptions & { inflight: number }): Promise<ProduceResult> {
  const hist = new Histogram();
  let acked = 0;
  let failed: Error | null = null;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let sent = 0, n = 0; sent < o.total && !failed; n++) {
    const count = Math.min(o.batchSize, o.total - sent);
    const partition = n % o.partitions;
    const t0 = performance.now();
    const batch = buildBatch(numberedRecords(sent, count, o.size, Date.now()));
    sent += count;
    const p = o
      .clientFor(partition)
      .produce(o.topic, partition, batch, o.acks)
      .then(
        (res) => {
          if (res.errorCode !== 0) failed = new Error(`produce failed with error ${res.errorCode}`);
          hist.record((performance.now() - t0) * 1000, count);
          acked += count;
        },
        (err) => {
          failed = err as Error;
        },
      );
    const tracked: Promise<void> = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= o.inflight) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  if (failed) throw failed;
  return { seconds, hist, acked };
}

export async function produceAtRate(o: ProduceLoopOptions & { rate: number }): Promise<ProduceResult> {
  const hist = new Histogram();
  const sendDelay = new Histogram();
  const requestLatency = new Histogram();
  let acked = 0;
  let failed: Error | null = null;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const intervalMs = 1000 / o.rate;
  let next = 0;
  // The loop ends when all records were sent, or after twice the planned duration as a safety bound.
  const hardStop = start + (o.total / o.rate) * 2000 + 10_000;
  while (next < o.total && !failed && performance.now() < hardStop) {
    const now = performance.now();
    const due = Math.min(o.total, Math.floor((now - start) / intervalMs) + 1);
    if (due > next) {
      const count = Math.min(due - next, o.batchSize);
      for (let p = 0; p < o.partitions; p++) {
        const share = Math.floor(count / o.partitions) + (p < count % o.partitions ? 1 : 0);
        if (share === 0) continue;
        const from = next;
        next += share;
        const batch = buildBatch(numberedRecords(from, share, o.size, Date.now()));
        const sentAt = performance.now();
        for (let k = 0; k < share; k++) sendDelay.record((sentAt - (start + (from + k) * intervalMs)) * 1000);
        const req = o
          .clientFor(p)
          .produce(o.topic, p, batch, o.acks)
          .then(
            (res) => {
              if (res.errorCode !== 0) failed = new Error(`produce failed with error ${res.errorCode}`);
              const ackAt = performance.now();
              requestLatency.record((ackAt - sentAt) * 1000);
              // Record i was due at start + i × interval; its latency runs from then to the ack.
              for (let k = 0; k < share; k++) hist.record((ackAt - (start + (from + k) * intervalMs)) * 1000);
              acked += share;
            },
            (err) => {
              failed = err as Error;
            },
          );
        const tracked: Promise<void> = req.finally(() => pending.delete(tracked));
        pending.add(tracked);
      }
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  if (failed) throw failed;
  return { seconds, hist, acked, sendDelay, requestLatency };
}

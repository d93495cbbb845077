// The chaos runner's clients: KafkaJS producers (acks=all; idempotent and not) and a consumer
// group, recording every send with its outcome, every polled batch and every accepted commit
// into the history the queue checker judges.
//
// Rules the recording follows so the checker can judge:
// - every value is unique (`s<seed>-<producer>-<n>`), so records are recognised by value;
// - a send that failed in any way is recorded unacknowledged (it may still have been written);
// - after any failed send a producer is replaced by a new instance: a KafkaJS idempotent
//   producer whose batch failed may reuse its sequence number for different data, which the
//   broker would rightly treat as a retry of the old batch. A new instance has a new producer id.
// - a consumer session runs from one group join to the next; offsets must rise within it.

import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { SeededRng } from '../helpers/seeded-rng.ts';
import type { HistoryRecorder } from './history.ts';
import { withTimeout } from './cluster.ts';

/** One send (its retries included) gets this long before it counts as failed. */
const SEND_TIMEOUT_MS = 45_000;
/** The acks=all wait the broker is asked to honour for one produce. */
const PRODUCE_ACK_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 30_000;
/** Records per send: small batches, so offsets within a batch are checked too. */
const RECORDS_PER_SEND_MAX = 3;
/** Kept client errors (for the report); the count is complete, the list bounded. */
const ERRORS_KEPT_MAX = 50;

export interface WorkloadOptions {
  bootstrap: string[];
  topic: string;
  partitions: number;
  seed: number;
  idempotentProducers: number;
  plainProducers: number;
  consumers: number;
  /** Pause between one producer's sends, a range in ms (keeps the load modest on 2 cores). */
  sendGapMs: readonly [number, number];
  history: HistoryRecorder;
}

export class Workload {
  private producing = false;
  private consuming = false;
  private readonly producerLoops: Promise<void>[] = [];
  private readonly consumers = new Map<string, Consumer>();
  private readonly kafka: Kafka;
  private readonly acked = new Set<string>();
  private readonly seen = new Set<string>();
  private seenAcked = 0;
  readonly errors: string[] = [];
  errorCount = 0;

  constructor(private readonly o: WorkloadOptions) {
    this.kafka = new Kafka({
      clientId: `runnel-chaos-${o.seed}`,
      brokers: o.bootstrap,
      connectionTimeout: 3_000,
      requestTimeout: PRODUCE_ACK_TIMEOUT_MS + 5_000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2_000 },
      logLevel: logLevel.NOTHING,
    });
  }

  get kafkaClient(): Kafka {
    return this.kafka;
  }

  /** Acknowledged records so far, and how many of them a consumer has seen. */
  progress(): { acked: number; seenAcked: number } {
    return { acked: this.acked.size, seenAcked: this.seenAcked };
  }

  async start(): Promise<void> {
    this.consuming = true;
    for (let i = 0; i < this.o.consumers; i++) await this.startConsumer(i, 1);
    this.producing = true;
    for (let i = 0; i < this.o.idempotentProducers; i++) this.producerLoops.push(this.producerLoop(`i${i}`, true));
    for (let i = 0; i < this.o.plainProducers; i++) this.producerLoops.push(this.producerLoop(`p${i}`, false));
  }

  /** Stops sending; resolves when every producer's last send has ended (bounded by SEND_TIMEOUT_MS). */
  async stopProducers(): Promise<void> {
    this.producing = false;
    await Promise.all(this.producerLoops);
  }

  async stopConsumers(): Promise<void> {
    this.consuming = false;
    await Promise.all([...this.consumers.values()].map((c) => withTimeout(c.disconnect(), 30_000).catch(() => undefined)));
    this.consumers.clear();
  }

  private noteError(what: string, err: unknown): void {
    this.errorCount++;
    if (this.errors.length < ERRORS_KEPT_MAX) this.errors.push(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }

  private async producerLoop(name: string, idempotent: boolean): Promise<void> {
    const rng = new SeededRng(this.o.seed ^ hash(name));
    let producer: Producer | null = null;
    let instance = 0;
    let n = 0;
    // Bounded by `producing` (the run's clock) and by the history's room.
    while (this.producing && !this.o.history.nearlyFull) {
      if (!producer) {
        instance++;
        producer = this.kafka.producer(
          idempotent ? { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false } : { allowAutoTopicCreation: false },
        );
        try {
          await withTimeout(producer.connect(), CONNECT_TIMEOUT_MS);
        } catch (err) {
          this.noteError(`${name}.${instance} connect`, err);
          void producer.disconnect().catch(() => undefined);
          producer = null;
          await sleep(500);
          continue;
        }
      }
      const partition = rng.int(0, this.o.partitions - 1);
      const values = Array.from({ length: rng.int(1, RECORDS_PER_SEND_MAX) }, () => `s${this.o.seed}-${name}-${n++}`);
      const who = `${name}.${instance}`;
      try {
        const res = await withTimeout(
          producer.send({ topic: this.o.topic, acks: -1, timeout: PRODUCE_ACK_TIMEOUT_MS, messages: values.map((value) => ({ value, partition })) }),
          SEND_TIMEOUT_MS,
        );
        const meta = res.find((r) => r.partition === partition);
        if (meta?.errorCode !== 0 || meta.baseOffset === undefined) throw new Error(`unexpected produce result ${JSON.stringify(res)}`);
        const base = Number(meta.baseOffset);
        values.forEach((value, i) => {
          this.o.history.send({ producer: who, idempotent, partition, value, acked: true, offset: base + i, error: null });
          this.acked.add(value);
          if (this.seen.has(value)) this.seenAcked++;
        });
      } catch (err) {
        const error = (err as Error)?.message ?? String(err);
        for (const value of values) this.o.history.send({ producer: who, idempotent, partition, value, acked: false, offset: null, error });
        this.noteError(`${who} send`, err);
        void producer.disconnect().catch(() => undefined);
        producer = null;
      }
      await sleep(rng.int(this.o.sendGapMs[0], this.o.sendGapMs[1]));
    }
    if (producer) await withTimeout(producer.disconnect(), 10_000).catch(() => undefined);
  }

  private async startConsumer(index: number, instance: number): Promise<void> {
    if (!this.consuming) return;
    const name = `c${index}.${instance}`;
    const consumer = this.kafka.consumer({
      groupId: `chaos-${this.o.seed}`,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 3_000 },
    });
    this.consumers.set(name, consumer);
    let session = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      session++;
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics) {
        for (const p of t.partitions) this.o.history.commit({ consumer: name, partition: p.partition, offset: Number(p.offset) });
      }
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.noteError(`${name} crashed (restart ${e.payload.restart})`, e.payload.error);
      // KafkaJS restarts a consumer after a retriable error itself; after any other, we replace it.
      if (!e.payload.restart && this.consuming) {
        this.consumers.delete(name);
        void consumer.disconnect().catch(() => undefined);
        setTimeout(() => void this.startConsumer(index, instance + 1).catch((err) => this.noteError(`${name} replace`, err)), 1_000);
      }
    });
    try {
      await withTimeout(consumer.connect(), CONNECT_TIMEOUT_MS);
      await withTimeout(consumer.subscribe({ topic: this.o.topic, fromBeginning: true }), CONNECT_TIMEOUT_MS);
      await consumer.run({
        autoCommitInterval: 1_000,
        eachBatch: async ({ batch }) => {
          const records = batch.messages.map((m) => ({ offset: Number(m.offset), value: m.value?.toString() ?? '' }));
          this.o.history.poll({ consumer: name, session: String(session), partition: batch.partition, records });
          for (const r of records) {
            if (this.seen.has(r.value)) continue;
            this.seen.add(r.value);
            if (this.acked.has(r.value)) this.seenAcked++;
          }
        },
      });
    } catch (err) {
      this.noteError(`${name} start`, err);
      this.consumers.delete(name);
      void consumer.disconnect().catch(() => undefined);
      if (this.consuming) setTimeout(() => void this.startConsumer(index, instance + 1).catch((e) => this.noteError(`${name} replace`, e)), 1_000);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A small stable string hash (FNV-1a), to derive per-producer RNG streams from the seed. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

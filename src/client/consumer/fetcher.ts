// Fetches the records of the partitions a consumer reads, from each partition's leader, ahead of
// the application but never more than limits.prefetchBytesPerPartitionMax per partition. One
// Fetch is in flight per leader; a partition whose leader moved (NOT_LEADER_OR_FOLLOWER and the
// like, or a broken connection) makes the cluster forget its topic's metadata and is asked again
// of the new leader after a backoff. OFFSET_OUT_OF_RANGE is settled by the autoOffsetReset
// policy, as Kafka's: earliest, latest, or none (the error goes to the application).
//
// Each partition has two offsets: `position`, the next record to hand out, and `processed`, the
// next record the application has not finished with; commits use `processed`, so a record handed
// out but not finished is read again by whoever resumes from the commit.

import { fetch as fetchApi, type FetchResponse } from '../../protocol/apis/fetch.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { isControlBatch, type RecordHeader, walkBatches } from '../../protocol/record-batch.ts';
import type { Cluster } from '../cluster.ts';
import { ConnectionError } from '../connection.ts';
import { KafkaError, kafkaError } from '../errors.ts';
import { backoffMs } from '../limits.ts';
import { pairsOf, toTopicPartitions, tpKey } from './assignor.ts';
import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, LEADER_MOVED, offsetsForTime } from './offsets.ts';
import { FetchedRecord } from './fetched-record.ts';
import { Signal } from './signal.ts';

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** Where a partition starts when its position is not known: an offset, or a time (ListOffsets). */
export type StartAt = { offset: number } | { timestamp: number };

const ZERO_UUID = Buffer.alloc(16);

interface PartitionState {
  topic: string;
  partition: number;
  /** The next offset to fetch; null until a reset settles it. */
  fetchOffset: number | null;
  position: number | null;
  processed: number | null;
  /** A pending reset: settled by ListOffsets before the partition is fetched. */
  startAt: StartAt | null;
  /** Records fetched and not handed out yet: from bufferHead on. */
  buffer: FetchedRecord[];
  bufferHead: number;
  bufferedBytes: number;
  paused: boolean;
  /** Bumped by every seek and removal, so an answer to a fetch sent before it is dropped. */
  epoch: number;
  failures: number;
  retryAtMs: number;
  /** Set after a Fetch answer held no whole batch: the next asks for more (a batch above the per-partition size). */
  partitionMaxBytes: number;
}

export interface FetcherOptions {
  autoOffsetReset: AutoOffsetReset;
  /** Called with errors the application must see (OFFSET_OUT_OF_RANGE under 'none', an unreadable batch). */
  onError: (err: Error) => void;
}

export class Fetcher {
  /** Wakes whoever waits for records. */
  readonly data = new Signal();
  private readonly cluster: Cluster;
  private readonly options: FetcherOptions;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly wake = new Signal();
  private readonly inflight = new Map<number, Promise<void>>();
  /** The partitions in a list, for next() to take turns without copying the map per record; null when it changed. */
  private order: PartitionState[] | null = null;
  /** The partition markProcessed found last (records come in runs of one partition); null when the partitions changed. */
  private lastProcessed: PartitionState | null = null;
  /** Round-robin over partitions when handing out records. */
  private cursor = 0;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(cluster: Cluster, options: FetcherOptions) {
    this.cluster = cluster;
    this.options = options;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.notify();
    await this.loopDone;
    await Promise.allSettled(this.inflight.values());
  }

  /** Starts reading these partitions: at `starts` (tpKey → where) or else by the autoOffsetReset policy. */
  add(partitions: TopicPartitions, starts: ReadonlyMap<string, StartAt> = new Map()): void {
    for (const [topic, partition] of pairsOf(partitions)) {
      const key = tpKey(topic, partition);
      if (this.partitions.has(key)) continue;
      const startAt = starts.get(key) ?? this.policyStart();
      this.order = null;
      this.lastProcessed = null;
      this.partitions.set(key, {
        topic,
        partition,
        fetchOffset: null,
        position: null,
        processed: null,
        startAt,
        buffer: [],
        bufferHead: 0,
        bufferedBytes: 0,
        paused: false,
        epoch: 0,
        failures: 0,
        retryAtMs: 0,
        partitionMaxBytes: this.cluster.limits.prefetchBytesPerPartitionMax,
      });
    }
    this.wake.notify();
  }

  remove(partitions: TopicPartitions): void {
    for (const [topic, partition] of pairsOf(partitions)) {
      const state = this.partitions.get(tpKey(topic, partition));
      if (state) state.epoch++;
      this.partitions.delete(tpKey(topic, partition));
      this.order = null;
      this.lastProcessed = null;
    }
  }

  /** Hands out no more records of these partitions (they are being revoked). */
  hold(partitions: TopicPartitions): void {
    for (const [topic, partition] of pairsOf(partitions)) {
      const state = this.partitions.get(tpKey(topic, partition));
      if (state) state.paused = true;
    }
  }

  assigned(): TopicPartitions {
    return toTopicPartitions([...this.partitions.values()].map((s): [string, number] => [s.topic, s.partition]));
  }

  seek(topic: string, partition: number, to: StartAt): void {
    const state = this.require(topic, partition);
    state.epoch++;
    state.startAt = to;
    state.fetchOffset = state.position = null;
    state.buffer = [];
    state.bufferHead = 0;
    state.bufferedBytes = 0;
    state.retryAtMs = 0;
    this.wake.notify();
  }

  setPaused(topic: string, partition: number, paused: boolean): void {
    this.require(topic, partition).paused = paused;
    this.wake.notify();
    if (!paused) this.data.notify();
  }

  isPaused(topic: string, partition: number): boolean {
    return this.require(topic, partition).paused;
  }

  /** The next offset the application will get from this partition, or null while a reset is pending. */
  position(topic: string, partition: number): number | null {
    return this.require(topic, partition).position;
  }

  /** The next buffered record of a partition that is not paused, taking turns between partitions. */
  next(): ConsumerRecord | undefined {
    this.order ??= [...this.partitions.values()];
    const states = this.order;
    for (let i = 0; i < states.length; i++) {
      const state = states[(this.cursor + i) % states.length]!;
      if (state.paused || state.bufferHead === state.buffer.length) continue;
      this.cursor = (this.cursor + i + 1) % states.length;
      const record = state.buffer[state.bufferHead]!;
      // A queue by index: shift() would move the whole buffer per record.
      state.buffer[state.bufferHead++] = undefined as unknown as FetchedRecord;
      if (state.bufferHead === state.buffer.length) {
        state.buffer = [];
        state.bufferHead = 0;
      }
      const max = this.cluster.limits.prefetchBytesPerPartitionMax;
      // The fetch loop leaves out partitions at or above the limit: wake it when this one drops below, not per record.
      const wasFull = state.bufferedBytes >= max;
      state.bufferedBytes -= record.sizeBytes;
      state.position = record.offset + 1;
      if (wasFull && state.bufferedBytes < max) this.wake.notify();
      return record;
    }
    return undefined;
  }

  /** The application is done with `record`: a commit from now on resumes after it. */
  markProcessed(record: ConsumerRecord): void {
    let state = this.lastProcessed;
    if (state === null || state.topic !== record.topic || state.partition !== record.partition) {
      state = this.partitions.get(tpKey(record.topic, record.partition)) ?? null;
      this.lastProcessed = state;
    }
    if (state && (state.processed === null || record.offset + 1 > state.processed)) state.processed = record.offset + 1;
  }

  /** What a commit would store now: tpKey → next offset to read, for partitions whose position is known. */
  processedOffsets(only?: TopicPartitions): Map<string, { topic: string; partition: number; offset: number }> {
    const keys = only ? new Set(pairsOf(only).map(([t, p]) => tpKey(t, p))) : null;
    const out = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const [key, s] of this.partitions) {
      if (s.processed !== null && (!keys || keys.has(key))) out.set(key, { topic: s.topic, partition: s.partition, offset: s.processed });
    }
    return out;
  }

  private require(topic: string, partition: number): PartitionState {
    const state = this.partitions.get(tpKey(topic, partition));
    if (!state) throw new Error(`partition ${topic}/${partition} is not assigned to this consumer`);
    return state;
  }

  private policyStart(): StartAt {
    // 'none' asks the leader for its end only to learn that it has no position: Kafka throws NoOffsetForPartition.
    return { timestamp: this.options.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP };
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      await this.settleResets(now);
      const due = [...this.partitions.values()].filter(
        (s) => s.fetchOffset !== null && !s.paused && s.retryAtMs <= now && s.bufferedBytes < this.cluster.limits.prefetchBytesPerPartitionMax,
      );
      const byLeader = new Map<number, PartitionState[]>();
      for (const s of due) {
        try {
          const leader = await this.cluster.leaderFor(s.topic, s.partition);
          if (this.inflight.has(leader)) continue;
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), s]);
        } catch (err) {
          this.failed(s, err);
        }
      }
      for (const [leader, states] of byLeader) {
        const sending = this.fetchFrom(leader, states)
          .catch((err) => {
            for (const s of states) this.failed(s, err);
          })
          .finally(() => {
            this.inflight.delete(leader);
            this.wake.notify();
          });
        this.inflight.set(leader, sending);
      }
      const retryAt = Math.min(...[...this.partitions.values()].map((s) => (s.retryAtMs > now ? s.retryAtMs : Infinity)));
      await this.wake.wait(Math.min(retryAt - now, this.cluster.limits.fetchWaitMsMax));
    }
  }

  /** Settles pending seeks to a time and policy resets with ListOffsets, all partitions at once. */
  private async settleResets(now: number): Promise<void> {
    const pending = [...this.partitions.values()].filter((s) => s.startAt !== null && s.retryAtMs <= now);
    for (const s of pending) {
      if (s.startAt && 'offset' in s.startAt) this.startFrom(s, s.startAt.offset);
    }
    const byTime = new Map<number, PartitionState[]>();
    for (const s of pending) {
      if (s.startAt && 'timestamp' in s.startAt) byTime.set(s.startAt.timestamp, [...(byTime.get(s.startAt.timestamp) ?? []), s]);
    }
    for (const [timestamp, states] of byTime) {
      const epochs = states.map((s) => s.epoch);
      try {
        const offsets = await offsetsForTime(this.cluster, toTopicPartitions(states.map((s): [string, number] => [s.topic, s.partition])), timestamp);
        states.forEach((s, i) => {
          const offset = offsets.get(tpKey(s.topic, s.partition));
          if (s.epoch === epochs[i] && this.partitions.get(tpKey(s.topic, s.partition)) === s && offset !== undefined) this.startFrom(s, offset);
        });
      } catch (err) {
        for (const s of states) this.failed(s, err);
      }
    }
  }

  private startFrom(s: PartitionState, offset: number): void {
    s.startAt = null;
    s.fetchOffset = s.position = s.processed = offset;
    s.failures = 0;
  }

  private async fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    const limits = this.cluster.limits;
    const meta = await this.cluster.metadata([...new Set(states.map((s) => s.topic))]);
    const ids = new Map(meta.topics.map((t) => [t.name, t.topicId]));
    const names = new Map(meta.topics.map((t) => [t.topicId.toString('hex'), t.name]));
    const sent = new Map(states.map((s) => [tpKey(s.topic, s.partition), { state: s, epoch: s.epoch, fetchOffset: s.fetchOffset! }]));
    const topics = toTopicPartitions(states.map((s): [string, number] => [s.topic, s.partition])).map(({ topic, partitions }) => ({
      topic,
      topicId: ids.get(topic) ?? ZERO_UUID,
      partitions: partitions.map((partition) => {
        const s = sent.get(tpKey(topic, partition))!;
        return { partition, fetchOffset: s.fetchOffset, partitionMaxBytes: s.state.partitionMaxBytes };
      }),
    }));
    let answer: FetchResponse;
    try {
      answer = await this.cluster.request(leader, fetchApi, {
        maxWaitMs: limits.fetchWaitMsMax,
        minBytes: 1,
        maxBytes: limits.fetchBytesMax,
        isolationLevel: 0,
        topics,
      });
    } catch (err) {
      if (err instanceof ConnectionError) for (const t of topics) this.cluster.invalidate(t.topic);
      throw err;
    }
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, `Fetch from broker ${leader}`);
    let gotRecords = false;
    for (const t of answer.responses) {
      const topic = t.topic || names.get(t.topicId.toString('hex')) || '';
      for (const p of t.partitions) {
        const entry = sent.get(tpKey(topic, p.partitionIndex));
        // A seek, a revocation or a newer fetch since this one was sent: its answer is stale.
        if (!entry || entry.epoch !== entry.state.epoch || this.partitions.get(tpKey(topic, p.partitionIndex)) !== entry.state) continue;
        gotRecords = this.absorb(entry.state, entry.fetchOffset, p) || gotRecords;
      }
    }
    if (gotRecords) this.data.notify();
  }

  /** Takes one partition's part of a Fetch answer; true when it added records. */
  private absorb(s: PartitionState, fetchOffset: number, p: FetchResponse['responses'][number]['partitions'][number]): boolean {
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (this.options.autoOffsetReset === 'none') {
        s.paused = true;
        this.options.onError(
          kafkaError(p.errorCode, `Fetch ${s.topic}/${s.partition} at offset ${fetchOffset}`, 'autoOffsetReset is none: seek the partition to go on'),
        );
      } else {
        s.startAt = this.policyStart();
        s.fetchOffset = null;
      }
      return false;
    }
    if (p.errorCode !== ErrorCode.NONE) {
      this.failed(s, kafkaError(p.errorCode, `Fetch ${s.topic}/${s.partition}`));
      return false;
    }
    s.failures = 0;
    const records = p.records;
    if (!records || records.length === 0) return false;
    const fetchFrom = s.fetchOffset!;
    let batches = 0;
    let end = fetchFrom;
    // All or nothing, as before any record is handed out: an unreadable batch leaves the partition where it was.
    const fresh: FetchedRecord[] = [];
    try {
      walkBatches(
        records,
        { uncompressedBytesMax: this.cluster.limits.fetchBytesMax },
        (header) => {
          batches++;
          end = Math.max(end, header.baseOffset + header.lastOffsetDelta + 1);
          return !isControlBatch(header.attributes);
        },
        (r) => {
          // A compressed batch comes whole, so it may start before the offset asked for.
          if (r.offset >= fetchFrom) fresh.push(new FetchedRecord(s.topic, s.partition, r));
        },
      );
    } catch (err) {
      s.paused = true;
      this.options.onError(
        new Error(`records of ${s.topic}/${s.partition} at offset ${fetchOffset} cannot be read: ${(err as Error).message}`, { cause: err }),
      );
      return false;
    }
    s.fetchOffset = end;
    for (const record of fresh) {
      s.buffer.push(record);
      s.bufferedBytes += record.sizeBytes;
    }
    if (batches === 0) {
      // Only part of a batch fit: ask for more next time, up to the most one answer may carry.
      s.partitionMaxBytes = Math.min(s.partitionMaxBytes * 2, this.cluster.limits.fetchBytesMax);
      return false;
    }
    s.partitionMaxBytes = this.cluster.limits.prefetchBytesPerPartitionMax;
    return fresh.length > 0;
  }

  private failed(s: PartitionState, err: unknown): void {
    s.failures++;
    s.retryAtMs = Date.now() + backoffMs(s.failures, this.cluster.limits);
    if (err instanceof KafkaError && LEADER_MOVED.has(err.code)) this.cluster.invalidate(s.topic);
    else if (!(err instanceof ConnectionError) && !(err instanceof KafkaError && err.retriable)) this.options.onError(err as Error);
  }
}

// A topic tail: one topic's records as they are committed, sent over a WebSocket (docs/tailing.md).
// Each partition is followed on its own: records are read from this broker's replica through the
// same log read Fetch uses, below the high watermark only (in cluster mode the Raft commit this
// replica applied, on a follower never above the leader's), so a tail never shows a record a
// failover could take back. A partition's reader wakes when its high watermark moves (onAdvance),
// reads at most `readBytesMax` per step and yields to the event loop between steps.
//
// A client that is behind (its socket holds more than limits.tail_buffer_bytes unsent, or it has
// had limits.tail_messages_per_second this second) is not read for: the records up to the high watermark are skipped and counted, and the client is told
// how many once it has caught up ({"type":"dropped","count":N}; with a key filter the count is
// every skipped record, matching or not). A tail is live; a reader that needs every record
// consumes with a Kafka client.

import type { PartitionReplica } from '../partition/replicas.ts';
import { findOffsetForTimestamp } from '../partition/timestamp-lookup.ts';
import { type DecodedRecord, isControlBatch, type RecordCursor, readRecordHeaders, walkBatches } from '../protocol/record-batch.ts';
import { OffsetOutOfRangeError } from '../storage/errors.ts';
import type { TailStart, TopicTailRequest } from './ws-params.ts';
import { keyMatches, recordJson, recordPrefix } from './ws-record-json.ts';
import { CLOSE_NORMAL, type TailSocket } from './ws-socket.ts';

/** What a topic tail reads: the topic's partition count from the metadata, and the replicas hosted here. */
export interface TailSource {
  /** The topic's partition count, or undefined when no such topic exists. */
  partitionCount(topic: string): number | undefined;
  /** This broker's replica of the partition (led or not), for committed reads; undefined when not hosted here. */
  committedReader(topic: string, index: number): PartitionReplica | undefined;
  /** The brokers hosting the partition (for the notice when this one does not). */
  hosts(topic: string, index: number): number[];
  /** This broker's id. */
  nodeId: number;
}

export interface TopicTailLimits {
  /** The most one partition step reads from the log (limits.tail_buffer_bytes). */
  readBytesMax: number;
  /** What a compressed batch may decompress to (limits.max_uncompressed_batch_bytes). */
  uncompressedBytesMax: number;
  /** Longest key a keyRegex is tried on (limits.max_tail_key_bytes). */
  keyBytesMax: number;
}

/**
 * How often a partition's reader looks again without being woken: a replica opened or replaced
 * after the tail began (a reassignment, a re-created topic) has no listener yet. Data never waits
 * for it; onAdvance wakes the reader as soon as the high watermark moves.
 */
const RESOLVE_INTERVAL_MS = 1000;

class PartitionTail {
  private position: number | null = null;
  private replica: PartitionReplica | undefined;
  private unsubscribe: (() => void) | null = null;
  private scheduled = false;
  private stopped = false;
  private notHostedNoticeSent = false;
  private readonly prefix: string;

  constructor(
    private readonly topic: string,
    private readonly index: number,
    private readonly request: TopicTailRequest,
    private readonly source: TailSource,
    private readonly socket: TailSocket,
    private readonly limits: TopicTailLimits,
  ) {
    this.prefix = recordPrefix(topic, index);
  }

  /** Runs a step soon, once however often it is woken before it runs. */
  wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped || this.socket.closed) return;
      try {
        this.step();
      } catch (err) {
        // Storage trouble on one partition must not end the others, nor the broker.
        this.socket.notice({ type: 'error', partition: this.index, message: `reading ${this.topic}-${this.index} failed: ${(err as Error).message}` });
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private resolve(): PartitionReplica | undefined {
    const replica = this.source.committedReader(this.topic, this.index);
    if (replica !== this.replica) {
      this.unsubscribe?.();
      this.unsubscribe = replica ? replica.onAdvance(() => this.wake()) : null;
      this.replica = replica;
    }
    if (replica === undefined && !this.notHostedNoticeSent) {
      this.notHostedNoticeSent = true;
      const hosts = this.source.hosts(this.topic, this.index);
      // Assigned here but not open yet (a new topic, a replica being added): it is picked up once it opens.
      const message = hosts.includes(this.source.nodeId)
        ? `${this.topic}-${this.index}: this broker's replica is not open yet; its records follow once it is`
        : `${this.topic}-${this.index} has no replica on this broker${hosts.length > 0 ? `; tail it on broker ${hosts.join(' or ')}` : ''}`;
      this.socket.notice({ type: 'notice', partition: this.index, message });
    }
    if (replica !== undefined) this.notHostedNoticeSent = false;
    return replica;
  }

  private startOffset(replica: PartitionReplica, start: TailStart): number {
    const hw = replica.highWatermark;
    switch (start.kind) {
      case 'end':
        return hw;
      case 'earliest':
        return replica.logStartOffset;
      case 'offset':
        return start.offset;
      case 'time':
        return findOffsetForTimestamp(replica.log, start.timestampMs, hw, this.limits.uncompressedBytesMax)?.offset ?? hw;
    }
  }

  private step(): void {
    const replica = this.resolve();
    if (replica === undefined) return;
    this.position ??= this.startOffset(replica, this.request.start);
    const hw = replica.highWatermark;
    if (this.position < replica.logStartOffset) {
      this.socket.notice({
        type: 'notice',
        partition: this.index,
        message: `offsets ${this.position} to ${replica.logStartOffset - 1} are gone (retention or DeleteRecords); going on from ${replica.logStartOffset}`,
      });
      this.position = replica.logStartOffset;
    }
    if (this.position >= hw) return;
    if (!this.socket.ready) {
      this.socket.drop(hw - this.position);
      this.position = hw;
      return;
    }
    let read: ReturnType<PartitionReplica['log']['read']>;
    try {
      read = replica.log.read(this.position, this.limits.readBytesMax, hw);
    } catch (err) {
      if (!(err instanceof OffsetOutOfRangeError)) throw err;
      // Retention moved the log start between the check above and the read: the next step notices.
      this.wake();
      return;
    }
    if (read.records.length === 0 || read.nextOffset <= this.position) return;
    // Records are read in place (walkBatches: nothing copied) and turned into JSON only while the
    // client has room: once it is behind (the rate used up, the socket full), the rest up to the
    // high watermark is skipped without decoding it. A tail held to its rate behind a producer of
    // 10,000-record batches used to decode and encode every record only to drop most of them.
    let next = this.position;
    let behind = false;
    const { key: filter } = this.request;
    const keyBytesMax = this.limits.keyBytesMax;
    this.socket.batch(() => {
      walkBatches(
        read.records,
        { uncompressedBytesMax: this.limits.uncompressedBytesMax },
        (header) => {
          if (behind) return false;
          if (!this.socket.ready) {
            behind = true;
            return false;
          }
          return !isControlBatch(header.attributes);
        },
        (r) => {
          // A batch read from its start may begin before the position (a tail from offset:N).
          if (r.offset < next) return true;
          if (this.socket.backedUp) {
            behind = true;
            return false;
          }
          next = r.offset + 1;
          const key = r.keyLength < 0 ? null : r.bytes.subarray(r.keyAt, r.keyAt + r.keyLength);
          if (keyMatches(filter, key, keyBytesMax)) this.socket.send(recordJson(this.prefix, cursorRecord(r, key)));
          return true;
        },
      );
    });
    if (behind) {
      this.socket.drop(hw - next);
      this.position = hw;
      return;
    }
    this.position = read.nextOffset;
    if (this.position < hw) this.wake();
  }
}

/** The record a cursor is at, with views (not copies) of its bytes: it lives only until its JSON is built. */
function cursorRecord(r: RecordCursor, key: Buffer | null): DecodedRecord {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key,
    value: r.valueLength < 0 ? null : r.bytes.subarray(r.valueAt, r.valueAt + r.valueLength),
    headers: r.headerCount === 0 ? [] : readRecordHeaders(r.bytes, r.headersAt, r.headerCount, false),
    attributes: r.attributes,
  };
}

/** Follows the requested partitions of `topic` until the socket closes. */
export function startTopicTail(topic: string, request: TopicTailRequest, source: TailSource, socket: TailSocket, limits: TopicTailLimits): void {
  const count = source.partitionCount(topic) ?? 0;
  const indexes = request.partition === null ? Array.from({ length: count }, (_, i) => i) : [request.partition];
  const tails = indexes.map((index) => new PartitionTail(topic, index, request, source, socket, limits));
  const timer = setInterval(() => {
    // A deleted topic has no more records: the tail ends rather than waiting on replicas that are gone.
    if (source.partitionCount(topic) === undefined) socket.close(CLOSE_NORMAL, `topic "${topic}" was deleted`);
    else for (const tail of tails) tail.wake();
  }, RESOLVE_INTERVAL_MS);
  socket.onClose(() => {
    clearInterval(timer);
    for (const tail of tails) tail.stop();
  });
  socket.notice({ type: 'subscribed', topic, partitions: indexes });
  for (const tail of tails) tail.wake();
}

// Incremental fetch sessions (KIP-227), as Kafka's FetchManager and FetchSessionCache keep them:
// a pure core (time and session ids come in as inputs); the Fetch handler does the reads.
//
// A full request (session_epoch 0) asks for a new session: after it is answered the broker keeps
// its partitions (fetch offset, partition_max_bytes, and the high watermark and log start it last
// answered) under a new session id, epoch 1. An incremental request (session id, epoch n >= 1)
// names only what changed: partitions added or whose fetch offset or limits moved, and
// forgotten_topics_data removes partitions. The broker reads every partition of the session and
// answers only those with records, an error, or a high watermark or log start that changed since
// the last answer; the epoch then moves to n + 1. Epoch -1 (final) closes the session named and
// is answered as a sessionless full fetch (session id 0), as is a full request when the cache is
// full. An unknown session id answers FETCH_SESSION_ID_NOT_FOUND, a wrong epoch
// INVALID_FETCH_SESSION_EPOCH, a session opened with topic names used with topic ids (v13+) or the
// other way round FETCH_SESSION_TOPIC_ID_ERROR; the client then starts over with a full request.
//
// The cache is bounded (limits.max_incremental_fetch_session_cache_slots, Kafka's
// max.incremental.fetch.session.cache.slots): a new session takes a free slot, or the slot of the
// least recently used session if that one has been idle for evictionMs (Kafka's
// min.incremental.fetch.session.eviction.ms); otherwise it is not created (session id 0) and the
// client keeps sending full requests. Kafka also lets followers evict larger consumer sessions;
// Runnel has no Kafka followers.

import { ErrorCode } from '../protocol/errors.ts';

/** Kafka's FetchMetadata constants. */
export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** Kafka's FetchMetadata.nextEpoch. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch === 0x7fffffff) return 1;
  return epoch + 1;
}

/** A partition as a request names it: `topic` is the name (before v13) or the id's hex (v13+). */
export interface RequestedPartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

/** A partition a session keeps, with what the last answer told the client of it. */
export interface CachedPartition extends RequestedPartition {
  /** The high watermark last answered; -1 after an error, so the partition is sent again once it clears. */
  highWatermark: number;
  logStartOffset: number;
}

/** What one partition's read gave (the answer's fields the session compares). */
export interface PartitionOutcome {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  recordBytes: number;
}

export class FetchSession {
  readonly id: number;
  epoch = 1;
  readonly usesTopicIds: boolean;
  lastUsedMs: number;
  /** By partitionKey, in the order they were added (Kafka's ImplicitLinkedHashCollection). */
  readonly partitions = new Map<string, CachedPartition>();

  constructor(id: number, usesTopicIds: boolean, nowMs: number) {
    this.id = id;
    this.usesTopicIds = usesTopicIds;
    this.lastUsedMs = nowMs;
  }

  /** An incremental request's changes: added or updated partitions, then the forgotten ones. */
  update(partitions: readonly RequestedPartition[], forgotten: readonly RequestedPartitionKey[]): void {
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      const cached = this.partitions.get(key);
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
      } else {
        this.partitions.set(key, { ...p, highWatermark: -1, logStartOffset: -1 });
      }
    }
    for (const f of forgotten) this.partitions.delete(partitionKey(f.topic, f.partition));
  }

  /**
   * Kafka's CachedPartition.maybeUpdateResponseData: whether an incremental answer must carry the
   * partition, recording what it tells the client.
   */
  mustRespond(key: string, outcome: PartitionOutcome): boolean {
    const cached = this.partitions.get(key);
    if (!cached) return true;
    let must = outcome.recordBytes > 0;
    if (cached.highWatermark !== outcome.highWatermark) {
      must = true;
      cached.highWatermark = outcome.highWatermark;
    }
    if (cached.logStartOffset !== outcome.logStartOffset) {
      must = true;
      cached.logStartOffset = outcome.logStartOffset;
    }
    if (outcome.errorCode !== ErrorCode.NONE) {
      cached.highWatermark = -1;
      must = true;
    }
    return must;
  }
}

export interface RequestedPartitionKey {
  topic: string;
  partition: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface FetchSessionRequest {
  sessionId: number;
  sessionEpoch: number;
  usesTopicIds: boolean;
  partitions: readonly RequestedPartition[];
  forgotten: readonly RequestedPartitionKey[];
}

/**
 * How to answer a Fetch: without a session (id 0, every partition), as a full request that opens
 * a session once answered, incrementally in an existing session, or with a session error.
 */
export type FetchContext = { kind: 'sessionless' } | { kind: 'full' } | { kind: 'incremental'; session: FetchSession } | { kind: 'error'; errorCode: number };

export interface FetchSessionCacheOptions {
  slotsMax: number;
  evictionMs: number;
  /** A random session id candidate (any int32; 0 and ids in use are drawn again). */
  randomId: () => number;
}

/** Draws of a fresh session id before giving up (ids are random int32s; the cache is far smaller). */
const SESSION_ID_DRAWS_MAX = 64;

export class FetchSessionCache {
  private readonly options: FetchSessionCacheOptions;
  /** By id; a Map keeps insertion order, and touch() re-inserts, so the first is the least recently used. */
  private readonly sessions = new Map<number, FetchSession>();

  constructor(options: FetchSessionCacheOptions) {
    this.options = options;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /** Kafka's FetchManager.newContext (see the file comment). */
  newContext(request: FetchSessionRequest, nowMs: number): FetchContext {
    const full = request.sessionEpoch === INITIAL_EPOCH || request.sessionEpoch === FINAL_EPOCH;
    if (full) {
      // Any session a full request names is closed.
      if (request.sessionId !== INVALID_SESSION_ID) this.sessions.delete(request.sessionId);
      return request.sessionEpoch === FINAL_EPOCH ? { kind: 'sessionless' } : { kind: 'full' };
    }
    const session = this.sessions.get(request.sessionId);
    if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== request.sessionEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== request.usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    session.update(request.partitions, request.forgotten);
    if (session.partitions.size === 0) {
      this.sessions.delete(session.id);
      return { kind: 'sessionless' };
    }
    this.touch(session, nowMs);
    session.epoch = nextEpoch(session.epoch);
    return { kind: 'incremental', session };
  }

  /**
   * Opens the session of an answered full request (Kafka's maybeCreateSession): its partitions
   * with what the answer told of each. Null when no slot is free or can be freed: the answer then
   * carries session id 0.
   */
  create(usesTopicIds: boolean, partitions: ReadonlyArray<{ requested: RequestedPartition; outcome: PartitionOutcome }>, nowMs: number): FetchSession | null {
    if (this.options.slotsMax <= 0 || partitions.length === 0) return null;
    if (this.sessions.size >= this.options.slotsMax && !this.evictStale(nowMs)) return null;
    const id = this.freshId();
    if (id === null) return null;
    const session = new FetchSession(id, usesTopicIds, nowMs);
    for (const { requested, outcome } of partitions) {
      session.partitions.set(partitionKey(requested.topic, requested.partition), {
        ...requested,
        highWatermark: outcome.errorCode === ErrorCode.NONE ? outcome.highWatermark : -1,
        logStartOffset: outcome.logStartOffset,
      });
    }
    this.sessions.set(id, session);
    return session;
  }

  /** Evicts the least recently used session if it has been idle for evictionMs. */
  private evictStale(nowMs: number): boolean {
    const oldest = this.sessions.values().next();
    if (oldest.done || nowMs - oldest.value.lastUsedMs < this.options.evictionMs) return false;
    this.sessions.delete(oldest.value.id);
    return true;
  }

  private touch(session: FetchSession, nowMs: number): void {
    session.lastUsedMs = nowMs;
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
  }

  private freshId(): number | null {
    for (let draw = 0; draw < SESSION_ID_DRAWS_MAX; draw++) {
      const id = this.options.randomId() | 0;
      if (id !== INVALID_SESSION_ID && !this.sessions.has(id)) return id;
    }
    return null;
  }
}

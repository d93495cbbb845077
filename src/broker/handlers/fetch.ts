// Fetch (key 1): read record batches up to the high watermark, long-polling for new data.
//
//   FetchRequest => cluster_id(tagged, v12+) replica_id(v0-14) replica_state(tagged, v15+)
//       max_wait_ms min_bytes max_bytes(v3+) isolation_level(v4+) session_id(v7+)
//       session_epoch(v7+) [topics] [forgotten_topics_data](v7+) rack_id(v11+)
//     topics => topic(v0-12) topic_id(v13+) [partitions]
//       partitions => partition current_leader_epoch(v9+) fetch_offset last_fetched_epoch(v12+)
//           log_start_offset(v5+) partition_max_bytes
//   FetchResponse => throttle_time_ms(v1+) error_code(v7+) session_id(v7+) [responses]
//       node_endpoints(tagged, v16+)
//     responses => topic(v0-12) topic_id(v13+) [partitions]
//       partitions => partition_index error_code high_watermark last_stable_offset(v4+)
//           log_start_offset(v5+) current_leader(tagged, v12+) [aborted_transactions](v4+)
//           preferred_read_replica(v11+) records
//
// From v13 a topic is named by its id (KIP-516): an id no topic has answers UNKNOWN_TOPIC_ID, so a
// consumer of a topic that was deleted and created again under the same name notices. A partition
// led elsewhere answers NOT_LEADER_OR_FOLLOWER with the leader we know in current_leader and, from
// v16, that broker's address in node_endpoints, so the client need not refresh its metadata
// first (KIP-951).
//
// The response waits up to max_wait_ms (capped by fetchWaitMsMax) until min_bytes are available,
// and carries at most max_bytes, except that the first batch is always sent whole so a consumer
// can make progress past a batch larger than its limit (KIP-74).
//
// Incremental fetch sessions (KIP-227, v7+): a full request opens a session, later requests name
// only what changed and get only the partitions with news (../fetch-sessions.ts keeps the rules;
// this handler reads the partitions the context names and shapes the answer).
//
// Each topic needs READ (ACLs, authorizer.ts): without it its partitions are answered
// TOPIC_AUTHORIZATION_FAILED with no records. Checked on every request, incremental ones too, so
// an ACL removed stops a consumer's running session.

import { ErrorCode } from '../../protocol/errors.ts';
import { OffsetOutOfRangeError } from '../../storage/errors.ts';
import { nestedCount, type ApiHandler, type RequestContext } from '../handler.ts';
import type { EncodeInput } from '../../protocol/schema.ts';
import type { BrokerServices } from '../services.ts';
import { notServedError } from './not-served.ts';
import { knownLeader, leaderEndpoints } from '../leader-hints.ts';
import { uuidToHex } from '../uuid.ts';
import type { PartitionReplica } from '../../partition/replicas.ts';
import { recordCountOf, type BrokerCounters } from '../broker-counters.ts';
import { fetch as fetchApi, type FetchRequest, type FetchResponse } from '../../protocol/apis/fetch.ts';
import { randomInt } from 'node:crypto';
import {
  FetchSessionCache,
  partitionKey,
  type FetchContext,
  type FetchSession,
  type FetchSessionRequest,
  type PartitionOutcome,
  type RequestedPartition,
} from '../fetch-sessions.ts';
import { uuidFromHex } from '../uuid.ts';

const emptyRecords: Buffer = Buffer.alloc(0);

export function fetchHandler(services: BrokerServices): ApiHandler<FetchRequest, FetchResponse> {
  // One cache per broker; session ids are random int32s, as Kafka's.
  const sessions = new FetchSessionCache({
    slotsMax: services.limits.fetchSessionSlotsMax,
    evictionMs: services.limits.fetchSessionEvictionMs,
    randomId: () => randomInt(-0x80000000, 0x80000000),
  });
  return {
    api: fetchApi,
    minVersion: 4,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    async handle(request, context) {
      const maxWaitMs = Math.max(0, Math.min(request.maxWaitMs, services.limits.fetchWaitMsMax));
      const minBytes: number = Math.max(0, request.minBytes);
      const maxBytes = Math.max(0, Math.min(request.maxBytes, services.limits.fetchBytesMax));

      const sessionRequest = toSessionRequest(request, context.apiVersion);
      const session = sessions.newContext(sessionRequest, Date.now());
      if (session.kind === 'error') return { throttleTimeMs: 0, errorCode: session.errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
      const resolved = session.kind === 'incremental' ? sessionTopics(services, session.session) : resolveTopics(services, request, context.apiVersion);
      const topics = resolved.map((t) => (t.name === null || services.authorizer.check(context.session, 'READ', 'TOPIC', t.name) ? t : { ...t, denied: true }));
      const deadline = Date.now() + maxWaitMs;
      // current_leader is on the wire from v12 (KIP-951 fills it from v12; node_endpoints from v16).
      const hints = context.apiVersion >= 12;
      let result = readAll(services, topics, maxBytes, hints);
      // Each wake-up re-reads; the loop ends at the deadline at the latest, or when the client leaves.
      while (result.bytes < minBytes && !result.hasError && !context.signal.aborted) {
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) break;
        await waitForData(services, topics, remainingMs, context);
        result = readAll(services, topics, maxBytes, hints);
      }
      if (services.counters) countOut(services.counters, result.responses);
      const answered = answerInSession(sessions, session, sessionRequest, topics, result.responses);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId: answered.sessionId,
        responses: answered.responses,
        nodeEndpoints: context.apiVersion >= 16 ? leaderEndpoints(services, result.leaders, context.session.listener) : [],
      };
    },
  };
}

/** Bytes and records returned per topic (GET /metrics), from the batch headers: no per-record work. */
function countOut(counters: BrokerCounters, responses: ReadResult['responses']): void {
  for (const topic of responses) {
    let bytes = 0;
    let records = 0;
    for (const p of topic.partitions ?? []) {
      const data = p.records;
      if (!Buffer.isBuffer(data) || data.length === 0) continue;
      bytes += data.length;
      records += recordCountOf(data);
    }
    if (bytes > 0 && topic.topic) counters.recordsOut(topic.topic, bytes, records);
  }
}

type PartitionData = FetchResponse['responses'][number]['partitions'][number];
type FetchTopic = FetchRequest['topics'][number];

/** A requested topic with its name: from the request before v13, from the topic id after (null: no such id). */
interface ResolvedTopic {
  request: FetchTopic;
  name: string | null;
  /** The session may not READ the topic. */
  denied?: boolean;
}

function resolveTopics(services: BrokerServices, request: FetchRequest, version: number): ResolvedTopic[] {
  if (version < 13) return request.topics.map((t) => ({ request: t, name: t.topic }));
  const state = services.controller.state;
  return request.topics.map((t) => ({ request: t, name: state.topicById(uuidToHex(t.topicId))?.name ?? null }));
}

/** The request as the session cache sees it: topics keyed by name before v13, by id's hex after. */
function toSessionRequest(request: FetchRequest, version: number): FetchSessionRequest {
  const usesTopicIds = version >= 13;
  const key = (t: { topic: string; topicId: Buffer }) => (usesTopicIds ? uuidToHex(t.topicId) : t.topic);
  return {
    // Before v7 there are no sessions: the decoder's defaults (id 0, epoch -1) mean sessionless.
    sessionId: request.sessionId,
    sessionEpoch: request.sessionEpoch,
    usesTopicIds,
    partitions: request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: key(t), partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes })),
    ),
    forgotten: request.forgottenTopicsData.flatMap((t) => t.partitions.map((partition) => ({ topic: key(t), partition }))),
  };
}

/** The partitions of a session as the topics to read, with the fetch offsets the session keeps. */
function sessionTopics(services: BrokerServices, session: FetchSession): ResolvedTopic[] {
  const byTopic = new Map<string, RequestedPartition[]>();
  for (const p of session.partitions.values()) {
    const list = byTopic.get(p.topic);
    if (list) list.push(p);
    else byTopic.set(p.topic, [p]);
  }
  const state = services.controller.state;
  return [...byTopic].map(([topic, partitions]) => {
    const name = session.usesTopicIds ? (state.topicById(topic)?.name ?? null) : topic;
    const request: FetchTopic = {
      topic: name ?? '',
      topicId: session.usesTopicIds ? uuidFromHex(topic) : Buffer.alloc(16),
      partitions: partitions.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: -1,
        fetchOffset: p.fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: p.partitionMaxBytes,
      })),
    };
    return { request, name };
  });
}

/**
 * The answer's session id and partitions: every partition without a session or when one opens
 * (its partitions then recorded with what this answer tells), only those with news in one.
 */
function answerInSession(
  sessions: FetchSessionCache,
  context: Exclude<FetchContext, { kind: 'error' }>,
  request: FetchSessionRequest,
  topics: ResolvedTopic[],
  responses: ReadResult['responses'],
): { sessionId: number; responses: ReadResult['responses'] } {
  const key = (i: number, j: number) =>
    partitionKey(request.usesTopicIds ? uuidToHex(topics[i].request.topicId) : topics[i].request.topic, topics[i].request.partitions[j].partition);
  const outcome = (p: EncodeInput<PartitionData>): PartitionOutcome => ({
    errorCode: p.errorCode ?? ErrorCode.NONE,
    highWatermark: Number(p.highWatermark ?? -1),
    logStartOffset: Number(p.logStartOffset ?? -1),
    recordBytes: Buffer.isBuffer(p.records) ? p.records.length : 0,
  });
  if (context.kind === 'sessionless') return { sessionId: 0, responses };
  if (context.kind === 'full') {
    // A full request's answer lists its partitions in the request's order, as request.partitions does.
    let k = 0;
    const answered = responses.flatMap((t) => (t.partitions ?? []).map((p) => ({ requested: request.partitions[k++], outcome: outcome(p) })));
    const session = sessions.create(request.usesTopicIds, answered, Date.now());
    return { sessionId: session?.id ?? 0, responses };
  }
  const session = context.session;
  const kept = responses
    .map((t, i) => ({ ...t, partitions: (t.partitions ?? []).filter((p, j) => session.mustRespond(key(i, j), outcome(p))) }))
    .filter((t) => t.partitions.length > 0);
  return { sessionId: session.id, responses: kept };
}

interface ReadResult {
  responses: EncodeInput<FetchResponse['responses']>;
  bytes: number;
  hasError: boolean;
  /** The leaders named in current_leader, whose addresses v16 sends in node_endpoints. */
  leaders: Set<number>;
}

function readAll(services: BrokerServices, topics: ResolvedTopic[], maxBytes: number, hints: boolean): ReadResult {
  let bytes = 0;
  let hasError = false;
  const leaders = new Set<number>();
  const responses = topics.map(({ request: topic, name, denied }) => ({
    topic: name ?? '',
    topicId: topic.topicId,
    partitions: topic.partitions.map((p) => {
      if (name === null || denied) {
        hasError = true;
        return partitionResponse(p.partition, denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_ID, -1, -1, emptyRecords);
      }
      const partition = services.replicas.partition(name, p.partition);
      if (!partition) {
        hasError = true;
        const errorCode = notServedError(services, name, p.partition);
        const response = partitionResponse(p.partition, errorCode, -1, -1, emptyRecords);
        if (!hints || errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) return response;
        const leader = knownLeader(services, name, p.partition);
        if (leader) leaders.add(leader.leaderId);
        return leader ? { ...response, currentLeader: leader } : response;
      }
      const hw = partition.highWatermark;
      // Later partitions get what the earlier ones left of max_bytes; the first data always goes.
      const budget = bytes === 0 ? Math.min(p.partitionMaxBytes, Math.max(maxBytes, 1)) : Math.min(p.partitionMaxBytes, maxBytes - bytes);
      let records = emptyRecords;
      if (budget > 0 && p.fetchOffset < hw) {
        try {
          records = partition.log.read(p.fetchOffset, budget, hw).records;
        } catch (err) {
          if (!(err instanceof OffsetOutOfRangeError)) throw err;
          hasError = true;
          return partitionResponse(p.partition, ErrorCode.OFFSET_OUT_OF_RANGE, hw, partition.logStartOffset, emptyRecords);
        }
      } else if (p.fetchOffset < partition.logStartOffset || p.fetchOffset > partition.logEndOffset) {
        hasError = true;
        return partitionResponse(p.partition, ErrorCode.OFFSET_OUT_OF_RANGE, hw, partition.logStartOffset, emptyRecords);
      }
      bytes += records.length;
      return partitionResponse(p.partition, ErrorCode.NONE, hw, partition.logStartOffset, records);
    }),
  }));
  return { responses, bytes, hasError, leaders };
}

function partitionResponse(index: number, errorCode: number, hw: number, logStartOffset: number, records: Buffer): EncodeInput<PartitionData> {
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: hw,
    // Without transactions the last stable offset is the high watermark, so read_committed
    // consumers (KafkaJS's default) see the same records as read_uncommitted ones.
    lastStableOffset: hw,
    logStartOffset,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records,
  };
}

/** Waits until any requested partition's high watermark moves, the deadline passes or the client leaves. */
function waitForData(services: BrokerServices, topics: ResolvedTopic[], maxWaitMs: number, context: RequestContext): Promise<void> {
  return new Promise((resolve) => {
    const partitions: PartitionReplica[] = [];
    for (const { request: topic, name, denied } of topics) {
      if (name === null || denied) continue;
      for (const p of topic.partitions ?? []) {
        const partition = services.replicas.partition(name, p.partition);
        if (partition) partitions.push(partition);
      }
    }
    const unsubscribes: Array<() => void> = [];
    const done = () => {
      clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      context.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, maxWaitMs);
    for (const partition of partitions) unsubscribes.push(partition.onAdvance(done));
    context.signal.addEventListener('abort', done);
  });
}

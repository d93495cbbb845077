// Produce (key 0): append record batches to partition logs.
//
//   ProduceRequest => transactional_id(v3+) acks timeout_ms [topic_data]
//     topic_data => name [partition_data]
//       partition_data => index records
//   ProduceResponse => [responses] throttle_time_ms(v1+)
//     responses => name [partition_responses]
//       partition_responses => index error_code base_offset log_append_time_ms(v2+)
//           log_start_offset(v5+) [record_errors](v8+) error_message(v8+) current_leader(tagged, v10+)
//       node_endpoints(tagged, v10+)
//
// Batches are validated (magic 2, length, CRC-32C, the topic's max.message.bytes) and stored as
// sent: the broker never rebuilds them. Two topic configs look further (produce-configs.ts):
// LogAppendTime stamps the header's max timestamp (CRC recomputed), and a finite
// message.timestamp.*.max.ms reads each record's timestamp (decompressing); min.insync.replicas
// bounds acks=all. acks=0 gets no response, acks=1 is answered after the
// leader's append, acks=all (-1) after the batch is durable (docs/architecture.md, Produce). Batches of idempotent
// producers are checked against the partition's producer state first (KIP-98, producer-state.ts);
// while that state still loads after a restart, such a request waits for it (bounded by its
// timeout and limits.producerStateWaitMsMax, and it moves the partition to the front of the
// loading), then answers NOT_LEADER_OR_FOLLOWER, which clients retry.
//
// Each topic needs WRITE (ACLs, authorizer.ts): without it every partition of the topic is
// answered TOPIC_AUTHORIZATION_FAILED, whether or not the topic exists, as in Kafka.
//
// Produce v0-v2 carry the old message formats (magic 0 and 1), which Runnel does not store or
// convert: they are advertised, because librdkafka enables compression only when the broker lists
// Produce v0, and every partition of such a request is answered UNSUPPORTED_VERSION, as Kafka 4.0
// does (KIP-896, KAFKA-18659). docs/protocol.md, "Old clients", says why.

import { ErrorCode } from '../../protocol/errors.ts';
import { validateBatches } from '../../protocol/record-batch.ts';
import { nestedCount, noResponse, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { applyTimestampConfig, EffectiveConfigs, minInsyncRefusal } from '../produce-configs.ts';
import { isInternalTopic } from '../group/offsets-topic.ts';
import { LogOnce } from '../../log/index.ts';
import { knownLeader, leaderEndpoints } from '../leader-hints.ts';
import type { IdempotentAppend } from '../../partition/replicas.ts';
import { appendErrorCode, withTimeout } from './replica-wait.ts';
import { produce, type ProduceRequest, type ProduceResponse } from '../../protocol/apis/produce.ts';

/** Produce v3 is the first to carry RecordBatch v2 (magic 2), the only format stored. */
const PRODUCE_VERSION_MIN_SERVED = 3;

interface PartitionOutcome {
  index: number;
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
  errorMessage: string | null;
  /** LogAppendTime: the time the batches were stamped with; -1 with CreateTime. */
  logAppendTimeMs: number;
}

export function produceHandler(services: BrokerServices): ApiHandler<ProduceRequest, ProduceResponse> {
  const appendFailures = new LogOnce(services.logger, { intervalMs: 60_000 });
  const configs = new EffectiveConfigs(services);
  const oldClients = new LogOnce(services.logger, { intervalMs: 60_000 });
  return {
    api: produce,
    partitionsIn: (request) => nestedCount(request.topicData, 'partitionData'),
    async handle(request, context) {
      const acks: number = request.acks;
      if (context.apiVersion < PRODUCE_VERSION_MIN_SERVED) {
        oldClients.log(
          'warn',
          context.clientId ?? '',
          { clientId: context.clientId, apiVersion: context.apiVersion },
          `Produce v${context.apiVersion} (message format v0/v1) is not supported; the client must speak Produce v3+ (Kafka 0.11+)`,
        );
        if (acks === 0) return noResponse;
        return {
          responses: request.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: ErrorCode.UNSUPPORTED_VERSION, baseOffset: -1 })),
          })),
          throttleTimeMs: 0,
        };
      }
      const waits: Array<Promise<void>> = [];
      const responses = request.topicData.map((topicData) => ({
        name: topicData.name,
        partitionResponses: topicData.partitionData.map((partitionData) => {
          if (!services.authorizer.check(context.session, 'WRITE', 'TOPIC', topicData.name)) {
            return setError(emptyOutcome(partitionData.index), ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
          }
          const outcome = produceToPartition(services, configs, appendFailures, acks, request.timeoutMs, topicData.name, partitionData);
          if (outcome.appended) waits.push(outcome.appended);
          if (acks === -1 && outcome.wait) {
            const wait = withTimeout(outcome.wait, request.timeoutMs).then(
              (timedOut) => {
                if (timedOut) setError(outcome.result, ErrorCode.REQUEST_TIMED_OUT, 'the batch did not become durable within timeout_ms');
              },
              (err: Error) => {
                setError(outcome.result, appendErrorCode(err), err.message);
              },
            );
            waits.push(wait);
          }
          return outcome.result;
        }),
      }));
      if (acks === 0) return noResponse;
      // Appends first: in cluster mode the offsets are known once the leader's log has the batch.
      if (waits.length > 0) await Promise.all(waits);
      const leaders = new Set<number>();
      // Only v10+ carries the hints (KIP-951).
      const hint = (topic: string, p: PartitionOutcome) => {
        const wanted = context.apiVersion >= 10 && p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER;
        const leader = wanted ? knownLeader(services, topic, p.index) : null;
        if (leader) leaders.add(leader.leaderId);
        return leader ?? undefined;
      };
      return {
        responses: responses.map((topic) => ({
          name: topic.name,
          partitionResponses: topic.partitionResponses.map((p) => ({
            index: p.index,
            errorCode: p.errorCode,
            baseOffset: p.errorCode === ErrorCode.NONE ? p.baseOffset : -1,
            logAppendTimeMs: p.errorCode === ErrorCode.NONE ? p.logAppendTimeMs : -1,
            logStartOffset: p.logStartOffset,
            recordErrors: [],
            errorMessage: p.errorMessage,
            currentLeader: hint(topic.name, p),
          })),
        })),
        throttleTimeMs: 0,
        nodeEndpoints: context.apiVersion >= 10 ? leaderEndpoints(services, leaders, context.session.listener) : [],
      };
    },
  };
}

interface ProduceOutcome {
  result: PartitionOutcome;
  /** acks=all: settles when the batches are durable. */
  wait?: Promise<void>;
  /** Settles once `result` holds the offsets (cluster mode, or after waiting for producer state). */
  appended?: Promise<void>;
}

function emptyOutcome(index: number): PartitionOutcome {
  return { index, errorCode: ErrorCode.NONE, baseOffset: -1, logStartOffset: -1, errorMessage: null, logAppendTimeMs: -1 };
}

function produceToPartition(
  services: BrokerServices,
  configs: EffectiveConfigs,
  appendFailures: LogOnce,
  acks: number,
  timeoutMs: number,
  topicName: string,
  partitionData: ProduceRequest['topicData'][number]['partitionData'][number],
  // After a wait for the producer state: the same result object, and no second wait.
  waited?: PartitionOutcome,
): ProduceOutcome {
  const index: number = partitionData.index;
  const result: PartitionOutcome = waited ?? emptyOutcome(index);
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    return { result: setError(result, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1 (got ${acks})`) };
  }
  const topic = services.controller.state.topic(topicName);
  if (!topic || index < 0 || index >= topic.partitionCount) {
    return { result: setError(result, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null) };
  }
  // Only the group coordinator writes __consumer_offsets; a client's record there could corrupt it.
  if (isInternalTopic(topicName)) {
    return { result: setError(result, ErrorCode.INVALID_TOPIC_EXCEPTION, `${topicName} is an internal topic`) };
  }
  const partition = services.replicas.partition(topicName, index);
  if (!partition) return { result: setError(result, ErrorCode.NOT_LEADER_OR_FOLLOWER, null) };

  const records: Buffer | null = partitionData.records;
  if (!records || records.length === 0) {
    return { result: setError(result, ErrorCode.CORRUPT_MESSAGE, 'no record batch in the request') };
  }
  const config = configs.of(topic);
  const limit = Math.min(services.limits.batchBytesMax, config.maxMessageBytes);
  const validation = validateBatches(records, limit);
  if (!validation.ok) {
    return { result: setError(result, validation.errorCode, validation.message ?? null) };
  }
  for (const batch of validation.batches) {
    // Control batches and transactional batches belong to transactions, which Runnel does not
    // implement; storing them would make consumers believe a transaction was handled.
    if ((batch.attributes & 0x30) !== 0) {
      return { result: setError(result, ErrorCode.INVALID_RECORD, 'transactional and control batches are not supported') };
    }
  }
  const refused = minInsyncRefusal(services, topicName, index, acks, config);
  if (refused) return { result: setError(result, refused.errorCode, refused.message) };
  const nowMs = Date.now();
  const timestamps = applyTimestampConfig(validation.batches, config, nowMs, services.limits.uncompressedBatchBytesMax);
  if (timestamps) return { result: setError(result, timestamps.errorCode, timestamps.message) };
  if (config.logAppendTime) result.logAppendTimeMs = nowMs;
  const loading = partition.producerState.loading;
  if (loading !== null && waited === undefined && validation.batches.some((b) => b.producerId >= 0)) {
    // Only the state can tell a retry from a new batch: wait for it, then start over (the
    // partition may have moved or gone meanwhile).
    partition.producerState.prioritise();
    const waitMs = timeoutMs > 0 ? Math.min(timeoutMs, services.limits.producerStateWaitMsMax) : services.limits.producerStateWaitMsMax;
    const later = withTimeout(loading, waitMs).then(() =>
      produceToPartition(services, configs, appendFailures, acks, timeoutMs, topicName, partitionData, result),
    );
    // With acks=0 nobody awaits this; it must not become an unhandled rejection.
    later.catch((err: unknown) => services.logger.error({ err, topic: topicName, partition: index }, 'produce after waiting for producer state failed'));
    return {
      result,
      appended: later.then((outcome) => outcome.appended),
      wait: acks === -1 ? later.then((outcome) => outcome.wait) : undefined,
    };
  }
  const failed = (err: unknown): void => {
    const code = appendErrorCode(err);
    // A full disk fails every append until space returns: one line a minute, not one per batch.
    if (code === ErrorCode.KAFKA_STORAGE_ERROR) {
      appendFailures.error(
        `${topicName}-${index}|${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        { err, topic: topicName, partition: index },
        'append failed',
      );
    }
    setError(result, code, (err as Error).message);
  };
  // KIP-98: an idempotent producer's retry is answered with the offsets it got the first time,
  // and a batch out of sequence or from a fenced epoch is refused. Check and append are one call.
  // The batches travel with the headers validation decoded; nothing below decodes them again.
  const appended = partition.appendIdempotent(validation.batches, services.replicas.leaderEpoch(topicName, index));
  const accepted = (outcome: IdempotentAppend): Promise<void> | undefined => {
    if (outcome.kind === 'refused') {
      setError(result, outcome.errorCode, outcome.message);
      return undefined;
    }
    result.baseOffset = outcome.baseOffset;
    result.logStartOffset = partition.logStartOffset;
    if (outcome.kind === 'appended') {
      services.counters?.recordsIn(
        topicName,
        records.length,
        validation.batches.reduce((n, b) => n + b.recordCount, 0),
      );
    }
    return acks === -1 ? partition.waitDurable(outcome.lastOffset) : undefined;
  };
  // The outcome comes at once on a single node; in cluster mode once the leader's log has the
  // batches, and acks=all then waits for the commit. A failed append has set its error and
  // leaves nothing to wait for.
  const settled = appended.then(accepted, (err: unknown) => {
    failed(err);
    return undefined;
  });
  return { result, appended: settled.then(() => undefined), wait: acks === -1 ? settled.then((durable) => durable) : undefined };
}

function setError(result: PartitionOutcome, errorCode: number, message: string | null): PartitionOutcome {
  result.errorCode = errorCode;
  result.errorMessage = message;
  return result;
}

// Creating, deleting and growing topics: the checks Kafka makes before it asks the controller,
// shared by CreateTopics, Metadata auto-creation, DeleteTopics and CreatePartitions.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.ts';
import { topicNameProblem } from '../metadata/topic-names.ts';
import type { ApplyResult, MetadataCommand, TopicRecord } from '../metadata/metadata-state.ts';
import { MetadataNotSavedError, MetadataTimeoutError, NotControllerError } from '../metadata/controller.ts';
import { normaliseConfigValue, topicConfigProblem } from '../metadata/topic-configs.ts';
import { isInternalTopic } from './group/offsets-topic.ts';
import type { BrokerServices } from './services.ts';

export interface TopicSpec {
  name: string;
  /** -1 asks for the broker default. */
  numPartitions: number;
  /** -1 asks for the broker default. */
  replicationFactor: number;
  /** Manual assignment, partition index -> broker ids; empty for automatic placement. */
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface AdminResult {
  errorCode: number;
  errorMessage: string | null;
  topic?: TopicRecord;
}

const ok = (topic?: TopicRecord): AdminResult => ({ errorCode: ErrorCode.NONE, errorMessage: null, topic });
const fail = (errorCode: number, errorMessage: string): AdminResult => ({ errorCode, errorMessage });
const internalTopic = (name: string): AdminResult => fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `${name} is an internal topic; only the broker changes it`);
const tooManyPartitions = (services: BrokerServices, count: number): AdminResult =>
  fail(ErrorCode.INVALID_PARTITIONS, `${count} partitions exceed max_topic_partitions (${services.limits.topicPartitionsMax})`);

/** Checks a topic creation and builds the record the controller will apply; creates it unless validateOnly. */
export async function createTopic(services: BrokerServices, spec: TopicSpec, validateOnly: boolean): Promise<AdminResult> {
  const state = services.controller.state;
  const nameProblem = topicNameProblem(spec.name);
  if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (state.topic(spec.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${spec.name}" already exists`);
  if (isInternalTopic(spec.name)) return internalTopic(spec.name);
  const colliding = state.collidingTopic(spec.name);
  if (colliding !== undefined) {
    return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic "${spec.name}" collides with "${colliding}" ('.' and '_' are treated alike)`);
  }

  const configs: Record<string, string> = {};
  for (const entry of spec.configs) {
    const problem = topicConfigProblem(entry.name, entry.value);
    if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
    configs[entry.name] = normaliseConfigValue(entry.value!);
  }

  // Brokers leaving the cluster get no new replicas.
  const brokers = state.placementBrokers().map((b) => b.nodeId);
  let assignments: number[][];
  if (spec.assignments.length > 0) {
    if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
      return fail(ErrorCode.INVALID_REQUEST, 'give either a replica assignment or numPartitions/replicationFactor, not both');
    }
    const manual = manualAssignments(spec.assignments, brokers);
    if (typeof manual === 'string') return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, manual);
    assignments = manual;
  } else {
    const partitions = spec.numPartitions === -1 ? services.defaultPartitions : spec.numPartitions;
    const replicationFactor = spec.replicationFactor === -1 ? Math.min(services.defaultReplicationFactor, brokers.length) : spec.replicationFactor;
    if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1 (got ${partitions})`);
    // Checked before any per-partition work: a request for 2^24 partitions must cost nothing.
    if (partitions > services.limits.topicPartitionsMax) return tooManyPartitions(services, partitions);
    if (replicationFactor < 1 || replicationFactor > brokers.length) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor} is not possible with ${brokers.length} broker(s)`);
    }
    assignments = spreadReplicas(partitions, replicationFactor, brokers, state.allTopics().length);
  }
  if (assignments.length > services.limits.topicPartitionsMax) return tooManyPartitions(services, assignments.length);

  const topic: TopicRecord = {
    name: spec.name,
    topicId: randomUUID().replace(/-/g, ''),
    partitionCount: assignments.length,
    replicationFactor: assignments[0].length,
    configs,
    assignments,
    createdAtMs: Date.now(),
  };
  if (validateOnly) return ok(topic);
  const result = await proposeSafely(services, { type: 'createTopic', topic });
  if (!result.ok) return fail(ErrorCode[result.error], result.message);
  return ok(topic);
}

export async function deleteTopic(services: BrokerServices, name: string): Promise<AdminResult> {
  const topic = services.controller.state.topic(name);
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
  if (isInternalTopic(name)) return internalTopic(name);
  const result = await proposeSafely(services, { type: 'deleteTopic', name });
  if (!result.ok) return fail(ErrorCode[result.error], result.message);
  return ok(topic);
}

export async function createPartitions(
  services: BrokerServices,
  name: string,
  count: number,
  manual: Array<{ brokerIds: number[] }> | null,
  validateOnly: boolean,
): Promise<AdminResult> {
  const state = services.controller.state;
  const topic = state.topic(name);
  if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
  // Growing __consumer_offsets would move groups to other partitions and lose their offsets.
  if (isInternalTopic(name)) return internalTopic(name);
  if (count <= topic.partitionCount) {
    return fail(ErrorCode.INVALID_PARTITIONS, `topic "${name}" has ${topic.partitionCount} partitions; the new count must be larger (got ${count})`);
  }
  if (count > services.limits.topicPartitionsMax) return tooManyPartitions(services, count);
  const brokers = state.placementBrokers().map((b) => b.nodeId);
  const added = count - topic.partitionCount;
  let assignments: number[][];
  if (manual) {
    if (manual.length !== added) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${manual.length} assignments given for ${added} new partitions`);
    }
    const checked = manualAssignments(
      manual.map((m, i) => ({ partitionIndex: i, brokerIds: m.brokerIds })),
      brokers,
    );
    if (typeof checked === 'string') return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, checked);
    assignments = checked;
  } else {
    assignments = spreadReplicas(added, topic.replicationFactor, brokers, topic.partitionCount);
  }
  if (validateOnly) return ok(topic);
  const result = await proposeSafely(services, { type: 'createPartitions', name, assignments });
  if (!result.ok) return fail(ErrorCode[result.error], result.message);
  return ok(topic);
}

/**
 * Proposes a metadata command; a change the controller could not save (a full disk) comes back as
 * KAFKA_STORAGE_ERROR for the client instead of a dropped connection.
 */
export async function proposeSafely(
  services: BrokerServices,
  command: MetadataCommand,
): Promise<ApplyResult | { ok: false; error: 'KAFKA_STORAGE_ERROR' | 'NOT_CONTROLLER' | 'REQUEST_TIMED_OUT'; message: string }> {
  try {
    return await services.controller.propose(command);
  } catch (err) {
    // Cluster mode: no controller is elected (clients retry with fresh metadata), or the
    // proposal did not come back in time (it may still apply: a retry then sees it done).
    if (err instanceof NotControllerError) return { ok: false, error: 'NOT_CONTROLLER', message: err.message };
    if (err instanceof MetadataTimeoutError) return { ok: false, error: 'REQUEST_TIMED_OUT', message: err.message };
    if (!(err instanceof MetadataNotSavedError)) throw err;
    services.logger.error({ err: err.message, command: command.type }, 'metadata change refused: could not be saved');
    return { ok: false, error: 'KAFKA_STORAGE_ERROR', message: err.message };
  }
}

/**
 * Names given more than once in one request. Kafka fails every entry of such a name
 * (INVALID_REQUEST), because answering any one of them would be a guess.
 */
export function repeatedNames(entries: Array<{ name: string }>): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { name } of entries) (seen.has(name) ? repeated : seen).add(name);
  return repeated;
}

/**
 * Round-robin placement: partition p's replicas are consecutive brokers starting at (p + start), so
 * leadership (the first replica) is spread evenly and each topic starts at a different broker.
 */
function spreadReplicas(partitions: number, replicationFactor: number, brokers: number[], start: number): number[][] {
  const result: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(brokers[(start + p + r) % brokers.length]);
    result.push(replicas);
  }
  return result;
}

function manualAssignments(given: Array<{ partitionIndex: number; brokerIds: number[] }>, brokers: number[]): number[][] | string {
  const sorted = [...given].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const known = new Set(brokers);
  const size = sorted[0].brokerIds.length;
  for (let i = 0; i < sorted.length; i++) {
    const { partitionIndex, brokerIds } = sorted[i];
    if (partitionIndex !== i) return `partition indexes must be 0..${sorted.length - 1} without gaps`;
    if (brokerIds.length === 0 || brokerIds.length !== size) return 'every partition needs the same, non-zero number of replicas';
    if (new Set(brokerIds).size !== brokerIds.length) return `partition ${i} lists a broker twice`;
    const unknown = brokerIds.find((id) => !known.has(id));
    if (unknown !== undefined) return `partition ${i} names unknown broker ${unknown}`;
  }
  return sorted.map((a) => [...a.brokerIds]);
}

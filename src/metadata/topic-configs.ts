// Every topic-level config Kafka 3.7 documents: its type, valid values and default, which broker
// config supplies the default, and whether Runnel honours it. CreateTopics, AlterConfigs and
// IncrementalAlterConfigs accept any of them with a valid value (INVALID_CONFIG names an unknown
// config or a bad value); DescribeConfigs shows each with the source of its value. Configs that
// have no meaning here are stored and described, and docs/protocol.md says which those are.

import { SEGMENT_BYTES_MIN } from '../storage/log-config.ts';

/** The broker's static settings that are defaults of topic configs (from the broker's config file). */
export interface TopicConfigDefaults {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  maxMessageBytes: number;
}

/** Kafka's ConfigType numbers (DescribeConfigs v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const;

/** Kafka's ConfigSource numbers (DescribeConfigs v1+, CreateTopics v5+). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

type Kind = 'boolean' | 'string' | 'int' | 'long' | 'double' | 'list';

export interface ConfigSpec {
  kind: Kind;
  /** Kafka's default, used when neither the topic nor the broker sets it. */
  kafkaDefault: string;
  /** The broker config whose value is the default for topics (Kafka's synonym), if any. */
  brokerSynonym?: string;
  /** Returns why a value of the right type is still not acceptable, or null. */
  check?: (value: string) => string | null;
  /** What Runnel does with it; absent: stored and described only. */
  honoured?: string;
  documentation: string;
}

const INT32_MAX = 2 ** 31 - 1;
const INT64_MAX = 2n ** 63n - 1n;
export const LONG_MAX = String(INT64_MAX);

const atLeast = (min: number) => (value: string) => (BigInt(value.trim()) >= BigInt(min) ? null : `must be at least ${min}`);
const oneOf =
  (...allowed: string[]) =>
  (value: string) =>
    allowed.includes(value.trim()) ? null : `must be one of ${allowed.join(', ')}`;

/** "" or "*" or partitionId:brokerId pairs, as Kafka's ThrottledReplicaListValidator. */
function throttledReplicas(value: string): string | null {
  const v = value.trim();
  if (v === '' || v === '*') return null;
  return v.split(',').every((pair) => /^\s*\d+\s*:\s*\d+\s*$/.test(pair)) ? null : 'must be "*" or a list of partitionId:brokerId pairs';
}

const stored = 'stored and described; has no effect here';

const specs: Record<string, ConfigSpec> = {
  'cleanup.policy': {
    kind: 'list',
    kafkaDefault: 'delete',
    brokerSynonym: 'log.cleanup.policy',
    check: (value) => {
      const items = value.split(',').map((s) => s.trim());
      return items.length > 0 && items.every((i) => i === 'delete' || i === 'compact') ? null : 'must be a list of "delete" and "compact"';
    },
    honoured:
      'delete: retention by time and size. A policy without delete (compact alone) turns retention off, as in Kafka; compaction itself is not implemented, so such a log keeps every record.',
    documentation: 'The retention policy of old segments: "delete", "compact" or both.',
  },
  'compression.type': {
    kind: 'string',
    kafkaDefault: 'producer',
    brokerSynonym: 'compression.type',
    check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    documentation: "The codec of stored batches. Runnel keeps the producer's codec whatever this says (docs/protocol.md).",
  },
  'delete.retention.ms': {
    kind: 'long',
    kafkaDefault: '86400000',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    check: atLeast(0),
    documentation: 'How long tombstones are kept on compacted topics.',
  },
  'file.delete.delay.ms': {
    kind: 'long',
    kafkaDefault: '60000',
    brokerSynonym: 'log.segment.delete.delay.ms',
    check: atLeast(0),
    documentation: 'How long a deleted segment file waits before it is removed.',
  },
  'flush.messages': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.flush.interval.messages',
    check: atLeast(1),
    documentation: 'Messages between forced fsyncs. Runnel fsyncs by its flush mode instead.',
  },
  'flush.ms': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.flush.interval.ms',
    check: atLeast(0),
    documentation: 'Time between forced fsyncs. Runnel fsyncs by its flush mode instead.',
  },
  'follower.replication.throttled.replicas': {
    kind: 'list',
    kafkaDefault: '',
    check: throttledReplicas,
    documentation: 'Replicas whose follower replication is throttled.',
  },
  'index.interval.bytes': {
    kind: 'int',
    kafkaDefault: '4096',
    brokerSynonym: 'log.index.interval.bytes',
    check: atLeast(4),
    honoured: "bytes of log between two entries of a segment's sparse offset and time indexes.",
    documentation: 'Bytes between two offset index entries.',
  },
  'leader.replication.throttled.replicas': {
    kind: 'list',
    kafkaDefault: '',
    check: throttledReplicas,
    documentation: 'Replicas whose leader replication is throttled.',
  },
  'local.retention.bytes': {
    kind: 'long',
    kafkaDefault: '-2',
    brokerSynonym: 'log.local.retention.bytes',
    check: atLeast(-2),
    documentation: 'Tiered storage: the size kept locally.',
  },
  'local.retention.ms': {
    kind: 'long',
    kafkaDefault: '-2',
    brokerSynonym: 'log.local.retention.ms',
    check: atLeast(-2),
    documentation: 'Tiered storage: the time kept locally.',
  },
  'max.compaction.lag.ms': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
    check: atLeast(1),
    documentation: 'The longest a record stays uncompacted.',
  },
  'max.message.bytes': {
    kind: 'int',
    kafkaDefault: '1048588',
    brokerSynonym: 'message.max.bytes',
    check: atLeast(0),
    honoured: 'the largest record batch a Produce may append (MESSAGE_TOO_LARGE above it), never above limits.max_batch_bytes.',
    documentation: 'The largest record batch the broker accepts for this topic.',
  },
  'message.downconversion.enable': {
    kind: 'boolean',
    kafkaDefault: 'true',
    brokerSynonym: 'log.message.downconversion.enable',
    documentation: 'Whether old fetch versions get converted batches.',
  },
  'message.format.version': {
    kind: 'string',
    kafkaDefault: '3.0-IV1',
    brokerSynonym: 'log.message.format.version',
    check: (value) => (/^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(value.trim()) ? null : 'must be a Kafka version such as 3.0-IV1'),
    documentation: 'Deprecated: the message format version; Runnel always stores v2 batches.',
  },
  'message.timestamp.after.max.ms': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.after.max.ms',
    check: atLeast(0),
    honoured: 'with CreateTime, a record timestamp more than this ahead of the broker clock is refused (INVALID_TIMESTAMP).',
    documentation: 'How far a CreateTime timestamp may be ahead of the broker time.',
  },
  'message.timestamp.before.max.ms': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.before.max.ms',
    check: atLeast(0),
    honoured: 'with CreateTime, a record timestamp more than this behind the broker clock is refused (INVALID_TIMESTAMP).',
    documentation: 'How far a CreateTime timestamp may be behind the broker time.',
  },
  'message.timestamp.difference.max.ms': {
    kind: 'long',
    kafkaDefault: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.difference.max.ms',
    check: atLeast(0),
    honoured: 'with CreateTime, the bound both ways where before/after.max.ms are not set (INVALID_TIMESTAMP), as Kafka 3.7.',
    documentation: 'Deprecated in favour of before/after.max.ms: how far a CreateTime timestamp may differ from the broker time.',
  },
  'message.timestamp.type': {
    kind: 'string',
    kafkaDefault: 'CreateTime',
    brokerSynonym: 'log.message.timestamp.type',
    check: oneOf('CreateTime', 'LogAppendTime'),
    honoured: 'LogAppendTime: the leader stamps each batch with its clock (max timestamp and the timestamp-type bit, CRC recomputed), as Kafka does.',
    documentation: "CreateTime (the producer's timestamps) or LogAppendTime (the broker's).",
  },
  'min.cleanable.dirty.ratio': {
    kind: 'double',
    kafkaDefault: '0.5',
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
    check: (value) => (Number(value) >= 0 && Number(value) <= 1 ? null : 'must be between 0 and 1'),
    documentation: 'How dirty a log must be before it is compacted.',
  },
  'min.compaction.lag.ms': {
    kind: 'long',
    kafkaDefault: '0',
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
    check: atLeast(0),
    documentation: 'The shortest a record stays uncompacted.',
  },
  'min.insync.replicas': {
    kind: 'int',
    kafkaDefault: '1',
    brokerSynonym: 'min.insync.replicas',
    check: atLeast(1),
    honoured: 'an acks=all Produce is refused with NOT_ENOUGH_REPLICAS while fewer replicas than this are in sync (a single node has one).',
    documentation: 'The fewest in-sync replicas an acks=all write needs.',
  },
  preallocate: { kind: 'boolean', kafkaDefault: 'false', brokerSynonym: 'log.preallocate', documentation: 'Whether segment files are preallocated.' },
  'remote.storage.enable': { kind: 'boolean', kafkaDefault: 'false', documentation: 'Tiered storage for this topic.' },
  'retention.bytes': {
    kind: 'long',
    kafkaDefault: '-1',
    brokerSynonym: 'log.retention.bytes',
    check: atLeast(-1),
    honoured: 'the oldest segments are deleted while a partition is larger than this; -1 is unlimited.',
    documentation: 'The size a partition may grow to before its oldest segments are deleted; -1 is unlimited.',
  },
  'retention.ms': {
    kind: 'long',
    kafkaDefault: '604800000',
    brokerSynonym: 'log.retention.ms',
    check: atLeast(-1),
    honoured: 'segments whose newest record is older than this are deleted; -1 keeps them forever.',
    documentation: 'How long a segment is kept before it is deleted; -1 keeps it forever.',
  },
  'segment.bytes': {
    kind: 'int',
    kafkaDefault: '1073741824',
    brokerSynonym: 'log.segment.bytes',
    check: atLeast(SEGMENT_BYTES_MIN),
    honoured: 'a segment file rolls before it would grow past this size (at least 1024 here; Kafka allows 14).',
    documentation: 'The size of one segment file of the partition log.',
  },
  'segment.index.bytes': {
    kind: 'int',
    kafkaDefault: '10485760',
    brokerSynonym: 'log.index.size.max.bytes',
    check: atLeast(4),
    documentation: "The size of a segment's offset index.",
  },
  'segment.jitter.ms': {
    kind: 'long',
    kafkaDefault: '0',
    brokerSynonym: 'log.roll.jitter.ms',
    check: atLeast(0),
    documentation: 'Random jitter subtracted from segment.ms.',
  },
  'segment.ms': {
    kind: 'long',
    kafkaDefault: '604800000',
    brokerSynonym: 'log.roll.ms',
    check: atLeast(1),
    honoured:
      "a segment rolls before a batch whose max timestamp is more than this past that of the segment's first batch, as Kafka measures it (so retention can delete a quiet topic's old records).",
    documentation: 'How long before a segment rolls.',
  },
  'unclean.leader.election.enable': {
    kind: 'boolean',
    kafkaDefault: 'false',
    brokerSynonym: 'unclean.leader.election.enable',
    documentation: 'Whether an out-of-sync replica may become leader. Raft never elects a replica without the committed log, whatever this says.',
  },
};

export const topicConfigNames: readonly string[] = Object.keys(specs).sort();

export function topicConfigSpec(name: string): ConfigSpec | undefined {
  return Object.hasOwn(specs, name) ? specs[name] : undefined;
}

/** Returns why `value` is not a valid value of a config of this spec, or null. */
export function valueProblem(spec: ConfigSpec, value: string): string | null {
  const v = value.trim();
  switch (spec.kind) {
    case 'boolean':
      if (!/^(true|false)$/i.test(v)) return 'must be true or false';
      break;
    case 'int':
    case 'long': {
      if (!/^[-+]?\d+$/.test(v)) return 'must be an integer';
      const n = BigInt(v);
      const max = spec.kind === 'int' ? BigInt(INT32_MAX) : INT64_MAX;
      if (n > max || n < -max - 1n) return `must fit in a ${spec.kind === 'int' ? '32' : '64'}-bit integer`;
      break;
    }
    case 'double':
      if (v === '' || !Number.isFinite(Number(v))) return 'must be a number';
      break;
    case 'string':
    case 'list':
      break;
  }
  return spec.check ? spec.check(v) : null;
}

/** Returns why this config entry cannot be set on a topic, naming it, or null when it can. */
export function topicConfigProblem(name: string, value: string | null): string | null {
  const spec = topicConfigSpec(name);
  if (!spec) return `unknown topic config "${name}"`;
  if (value === null) return `config "${name}" needs a value`;
  const problem = valueProblem(spec, value);
  return problem ? `config "${name}" ${problem} (got "${value}")` : null;
}

/** A topic override as stored: trimmed, as Kafka parses it. */
export function normaliseConfigValue(value: string): string {
  return value.trim();
}

/** The dynamic broker configs in force on one broker: its own, over the cluster-wide defaults. */
export interface DynamicBrokerConfigs {
  /** Set for this broker (AlterConfigs on resource BROKER with its id). */
  node: Record<string, string>;
  /** Set for every broker (AlterConfigs on resource BROKER with the name ""). */
  cluster: Record<string, string>;
}

export const NO_DYNAMIC_BROKER_CONFIGS: DynamicBrokerConfigs = { node: {}, cluster: {} };

/** The broker's static settings under Kafka's broker config names. */
export function staticBrokerConfigs(defaults: TopicConfigDefaults): Record<string, string> {
  return {
    'log.retention.ms': String(defaults.retentionMs),
    'log.retention.bytes': String(defaults.retentionBytes),
    'log.segment.bytes': String(defaults.segmentBytes),
    'message.max.bytes': String(defaults.maxMessageBytes),
  };
}

export interface ConfigSynonym {
  name: string;
  value: string;
  source: number;
}

export interface ConfigEntryView {
  name: string;
  value: string;
  /** Where the value in force comes from (ConfigSource). */
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  configType: number;
  documentation: string;
  /** Every place that sets it, the one in force first (Kafka's synonyms). */
  synonyms: ConfigSynonym[];
}

export const configTypeOf: Record<Kind, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
};

/** One topic config as in force: the topic's override, else the broker's dynamic, static or Kafka default. */
export function resolveTopicConfig(
  name: string,
  overrides: Record<string, string>,
  dynamic: DynamicBrokerConfigs,
  defaults: TopicConfigDefaults,
): ConfigEntryView {
  const spec = specs[name];
  const synonyms: ConfigSynonym[] = [];
  if (Object.hasOwn(overrides, name)) synonyms.push({ name, value: overrides[name], source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  const broker = spec.brokerSynonym;
  if (broker !== undefined) {
    synonyms.push(...brokerLayers(broker, dynamic, staticBrokerConfigs(defaults)));
  }
  synonyms.push({ name: broker ?? name, value: spec.kafkaDefault, source: ConfigSource.DEFAULT_CONFIG });
  return {
    name,
    value: synonyms[0].value,
    source: synonyms[0].source,
    readOnly: false,
    isSensitive: false,
    configType: configTypeOf[spec.kind],
    documentation: spec.honoured ? `${spec.documentation} Runnel: ${spec.honoured}` : `${spec.documentation} Runnel: ${stored}.`,
    synonyms,
  };
}

/** A broker config's values above its Kafka default: this broker's dynamic, the cluster's, the static one. */
export function brokerLayers(name: string, dynamic: DynamicBrokerConfigs, staticConfigs: Record<string, string>): ConfigSynonym[] {
  const layers: ConfigSynonym[] = [];
  if (Object.hasOwn(dynamic.node, name)) layers.push({ name, value: dynamic.node[name], source: ConfigSource.DYNAMIC_BROKER_CONFIG });
  if (Object.hasOwn(dynamic.cluster, name)) layers.push({ name, value: dynamic.cluster[name], source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  if (Object.hasOwn(staticConfigs, name)) layers.push({ name, value: staticConfigs[name], source: ConfigSource.STATIC_BROKER_CONFIG });
  return layers;
}

/** Every topic config with the value in force. */
export function describeTopicConfigs(
  overrides: Record<string, string>,
  defaults: TopicConfigDefaults,
  dynamic: DynamicBrokerConfigs = NO_DYNAMIC_BROKER_CONFIGS,
): ConfigEntryView[] {
  return topicConfigNames.map((name) => resolveTopicConfig(name, overrides, dynamic, defaults));
}

/** What Runnel honours of a topic's configs, as numbers the log and the produce path use. */
export interface EffectiveTopicConfig {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  /** Infinity: never by time. */
  segmentMs: number;
  indexIntervalBytes: number;
  maxMessageBytes: number;
  minInsyncReplicas: number;
  logAppendTime: boolean;
  /** How far a CreateTime timestamp may be behind / ahead of the broker clock (Infinity: no bound). */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export function effectiveTopicConfig(
  overrides: Record<string, string>,
  defaults: TopicConfigDefaults,
  dynamic: DynamicBrokerConfigs = NO_DYNAMIC_BROKER_CONFIGS,
): EffectiveTopicConfig {
  const value = (name: string) => resolveTopicConfig(name, overrides, dynamic, defaults).value;
  const long = (name: string) => {
    const v = value(name);
    return v === LONG_MAX ? Infinity : Number(v);
  };
  // A policy without "delete" keeps segments whatever retention says, as Kafka's compact-only topics.
  const deletes = value('cleanup.policy')
    .split(',')
    .some((p) => p.trim() === 'delete');
  // Kafka 3.7 (KIP-937): before/after.max.ms when set, else difference.max.ms for both.
  const difference = long('message.timestamp.difference.max.ms');
  const before = long('message.timestamp.before.max.ms');
  const after = long('message.timestamp.after.max.ms');
  return {
    retentionMs: deletes ? Number(value('retention.ms')) : -1,
    retentionBytes: deletes ? Number(value('retention.bytes')) : -1,
    segmentBytes: Number(value('segment.bytes')),
    segmentMs: long('segment.ms'),
    indexIntervalBytes: Number(value('index.interval.bytes')),
    maxMessageBytes: Number(value('max.message.bytes')),
    minInsyncReplicas: Number(value('min.insync.replicas')),
    logAppendTime: value('message.timestamp.type') === 'LogAppendTime',
    timestampBeforeMaxMs: before !== Infinity ? before : difference,
    timestampAfterMaxMs: after !== Infinity ? after : difference,
  };
}

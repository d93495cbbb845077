// The topic-level configs Runnel honours, with Kafka's names, and how broker defaults fill them in.
// A config we do not honour is refused with INVALID_CONFIG rather than stored and ignored, so a
// user never believes a setting is in force when it is not.

import { SEGMENT_BYTES_MIN } from '../storage/log-config.ts';

export interface TopicConfigDefaults {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  maxMessageBytes: number;
}

export interface ConfigEntryView {
  name: string;
  value: string;
  isDefault: boolean;
  readOnly: boolean;
  /** Kafka's ConfigType numbers: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 7 LIST. */
  configType: number;
  documentation: string;
}

interface TopicConfigSpec {
  configType: number;
  documentation: string;
  defaultValue(defaults: TopicConfigDefaults): string;
  /** Returns why `value` is not acceptable, or null. */
  problem(value: string): string | null;
}

const longAtLeast = (min: number) => (value: string) =>
  /^-?\d+$/.test(value) && Number(value) >= min && Number.isSafeInteger(Number(value))
    ? null
    : `must be an integer >= ${min}`;

const specs: Record<string, TopicConfigSpec> = {
  'retention.ms': {
    configType: 5,
    documentation: 'How long a segment is kept before it is deleted; -1 keeps it forever.',
    defaultValue: (d) => String(d.retentionMs),
    problem: longAtLeast(-1),
  },
  'retention.bytes': {
    configType: 5,
    documentation: 'The size a partition may grow to before its oldest segments are deleted; -1 is unlimited.',
    defaultValue: (d) => String(d.retentionBytes),
    problem: longAtLeast(-1),
  },
  'segment.bytes': {
    configType: 3,
    documentation: 'The size of one segment file of the partition log.',
    defaultValue: (d) => String(d.segmentBytes),
    problem: longAtLeast(SEGMENT_BYTES_MIN),
  },
  'max.message.bytes': {
    configType: 3,
    documentation: 'The largest record batch the broker accepts for this topic.',
    defaultValue: (d) => String(d.maxMessageBytes),
    problem: longAtLeast(0),
  },
  'cleanup.policy': {
    configType: 7,
    documentation: 'Only "delete" (retention by time and size) is supported; compaction is not.',
    defaultValue: () => 'delete',
    problem: (value) => (value === 'delete' ? null : 'only "delete" is supported (log compaction is not implemented)'),
  },
  'message.timestamp.type': {
    configType: 2,
    documentation: 'Only CreateTime is supported: the producer sets record timestamps.',
    defaultValue: () => 'CreateTime',
    problem: (value) => (value === 'CreateTime' ? null : 'only "CreateTime" is supported'),
  },
};

export const supportedTopicConfigs = Object.keys(specs);

/** Returns why this config entry cannot be set on a topic, or null when it can. */
export function topicConfigProblem(name: string, value: string | null): string | null {
  const spec = specs[name];
  if (!spec) return `unknown or unsupported topic config "${name}" (supported: ${supportedTopicConfigs.join(', ')})`;
  if (value === null) return `config "${name}" needs a value`;
  const problem = spec.problem(value);
  return problem ? `config "${name}" ${problem} (got "${value}")` : null;
}

/** Every supported topic config with the value in force, overrides first, then broker defaults. */
export function describeTopicConfigs(overrides: Record<string, string>, defaults: TopicConfigDefaults): ConfigEntryView[] {
  return supportedTopicConfigs.map((name) => {
    const spec = specs[name];
    const override = overrides[name];
    return {
      name,
      value: override ?? spec.defaultValue(defaults),
      isDefault: override === undefined,
      readOnly: false,
      configType: spec.configType,
      documentation: spec.documentation,
    };
  });
}

export function effectiveTopicConfig(overrides: Record<string, string>, defaults: TopicConfigDefaults): TopicConfigDefaults {
  const num = (name: string, fallback: number) => (overrides[name] !== undefined ? Number(overrides[name]) : fallback);
  return {
    retentionMs: num('retention.ms', defaults.retentionMs),
    retentionBytes: num('retention.bytes', defaults.retentionBytes),
    segmentBytes: num('segment.bytes', defaults.segmentBytes),
    maxMessageBytes: num('max.message.bytes', defaults.maxMessageBytes),
  };
}

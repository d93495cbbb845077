// Changes to dynamic configs (AlterConfigs, IncrementalAlterConfigs), as the metadata state
// machine applies them: pure functions of the current overrides and the operations, so every
// broker that applies the same alterConfigs command gets the same configs.
//
// Which broker configs may change at run time: the broker-level defaults of the topic configs
// Runnel honours. A topic without its own override follows them at once. Every other broker
// config is read-only (its value comes from the broker's config file) and refused with
// INVALID_CONFIG naming it.

import {
  brokerLayers,
  ConfigSource,
  configTypeOf,
  normaliseConfigValue,
  topicConfigNames,
  topicConfigProblem,
  topicConfigSpec,
  valueProblem,
  type ConfigEntryView,
  type ConfigSpec,
  type ConfigSynonym,
  type DynamicBrokerConfigs,
} from './topic-configs.ts';

/** Kafka's IncrementalAlterConfigs operations (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT). */
export type ConfigOpKind = 'set' | 'delete' | 'append' | 'subtract';
export const CONFIG_OPERATIONS: readonly ConfigOpKind[] = ['set', 'delete', 'append', 'subtract'];

export interface ConfigOp {
  name: string;
  op: ConfigOpKind;
  value: string | null;
}

export type ConfigResource = { type: 'topic'; name: string } | { type: 'broker'; name: string };

/** The broker configs that may change at run time, each the default of the topic config named. */
export const DYNAMIC_BROKER_CONFIGS: ReadonlyMap<string, string> = new Map(
  topicConfigNames
    .filter((name) => topicConfigSpec(name)!.honoured !== undefined && topicConfigSpec(name)!.brokerSynonym !== undefined)
    .map((name) => [topicConfigSpec(name)!.brokerSynonym!, name]),
);

function brokerConfigSpec(name: string): ConfigSpec | undefined {
  const topicName = DYNAMIC_BROKER_CONFIGS.get(name);
  return topicName === undefined ? undefined : topicConfigSpec(topicName);
}

/** Returns why `value` cannot be set as a dynamic broker config `name`, naming it, or null. */
export function brokerConfigProblem(name: string, value: string | null): string | null {
  const spec = brokerConfigSpec(name);
  if (!spec) {
    return `broker config "${name}" is read-only or unknown; only these change at run time: ${[...DYNAMIC_BROKER_CONFIGS.keys()].join(', ')}`;
  }
  if (value === null) return `config "${name}" needs a value`;
  const problem = valueProblem(spec, value);
  return problem ? `config "${name}" ${problem} (got "${value}")` : null;
}

/** "" names the cluster-wide default; a broker id names one broker. */
export function brokerResourceProblem(name: string): string | null {
  return name === '' || /^\d+$/.test(name) ? null : `a broker resource is named by a broker id or "" (all brokers), not "${name}"`;
}

/**
 * Applies the operations to `current`; with `replace` (AlterConfigs) the result holds only what
 * the operations set. Returns the new overrides, or why the change is refused (nothing changes).
 */
export function applyConfigOps(
  resource: ConfigResource,
  current: Readonly<Record<string, string>>,
  ops: readonly ConfigOp[],
  replace: boolean,
): { ok: true; configs: Record<string, string> } | { ok: false; message: string } {
  const problemOf = resource.type === 'topic' ? topicConfigProblem : brokerConfigProblem;
  const specOf = resource.type === 'topic' ? topicConfigSpec : brokerConfigSpec;
  const next: Record<string, string> = replace ? {} : { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) return { ok: false, message: `config "${op.name}" appears more than once` };
    seen.add(op.name);
    const spec = specOf(op.name);
    if (op.op === 'delete') {
      // Deleting an unknown name would hide a typo: refuse it as Kafka does.
      if (!spec) return { ok: false, message: problemOf(op.name, '')! };
      delete next[op.name];
      continue;
    }
    if (op.op === 'append' || op.op === 'subtract') {
      if (!spec) return { ok: false, message: problemOf(op.name, '')! };
      if (spec.kind !== 'list') return { ok: false, message: `config "${op.name}" is not a list; ${op.op.toUpperCase()} needs a list config` };
      if (op.value === null) return { ok: false, message: `config "${op.name}" needs a value` };
      const base = listItems(Object.hasOwn(next, op.name) ? next[op.name] : spec.kafkaDefault);
      const items = listItems(op.value);
      const merged = op.op === 'append' ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
      const value = merged.join(',');
      const problem = problemOf(op.name, value);
      if (problem) return { ok: false, message: problem };
      next[op.name] = value;
      continue;
    }
    const problem = problemOf(op.name, op.value);
    if (problem) return { ok: false, message: problem };
    next[op.name] = normaliseConfigValue(op.value!);
  }
  return { ok: true, configs: next };
}

function listItems(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The configs of one broker as DescribeConfigs shows them: its static settings (read-only) and the
 * dynamic ones with the value in force. Resource "" (the cluster default) shows only what is set there.
 */
export function describeBrokerConfigs(resourceName: string, staticConfigs: Record<string, string>, dynamic: DynamicBrokerConfigs): ConfigEntryView[] {
  if (resourceName === '') {
    return Object.entries(dynamic.cluster).map(([name, value]) => brokerEntry(name, [{ name, value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }]));
  }
  const names = [...new Set([...Object.keys(staticConfigs), ...DYNAMIC_BROKER_CONFIGS.keys()])].sort();
  return names.map((name) => {
    const layers = brokerLayers(name, dynamic, staticConfigs);
    const spec = brokerConfigSpec(name);
    if (spec) layers.push({ name, value: spec.kafkaDefault, source: ConfigSource.DEFAULT_CONFIG });
    return brokerEntry(name, layers);
  });
}

function brokerEntry(name: string, layers: ConfigSynonym[]): ConfigEntryView {
  const spec = brokerConfigSpec(name);
  const kind = spec?.kind ?? 'string';
  return {
    name,
    value: layers[0].value,
    source: layers[0].source,
    readOnly: spec === undefined,
    isSensitive: false,
    configType: configTypeOf[kind],
    documentation: spec
      ? `The default of topic config ${DYNAMIC_BROKER_CONFIGS.get(name)}; changes at run time.`
      : "Read-only: set in the broker's config file.",
    synonyms: layers,
  };
}

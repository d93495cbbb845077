// Environment overrides, EMQX style: RUNNEL_ + the field path in upper case,
// with "__" between levels. RUNNEL_SERVER__PORT=9093 sets server.port and
// RUNNEL_DATA_DIR=/x sets data_dir. This lets several nodes run from one
// config file on one machine. The result is a raw layer, validated by the
// same schema as a file. A variable that names no field is not an error: the
// prefix is not ours alone (a user's scripts may use it), so it is reported as
// a warning with the nearest known field, and the broker goes on.
import { ConfigError } from './errors.ts';
import { fieldByKey } from './fields.ts';
import { isPlainObject, type PlainObject } from './paths.ts';
import { allKnownPaths } from './schema.ts';
import { suggestPath } from './suggest.ts';
import type { ConfigWarning } from './types.ts';

export const ENV_PREFIX = 'RUNNEL_';

/**
 * Variables with these prefixes belong to tools around the broker (tests, the
 * simulator, benchmarks, the `runnel` CLI), not to the broker's config, so
 * they are not reported as unknown fields.
 */
export const NON_CONFIG_ENV_PREFIXES: readonly string[] = [
  'RUNNEL_TEST_',
  'RUNNEL_SIM_',
  'RUNNEL_BENCH_',
  'RUNNEL_CLI_',
  // sasl.bootstrap_user's password: read by the broker at start, never part of the config (or its logs).
  'RUNNEL_BOOTSTRAP_PASSWORD',
];

export interface EnvOverride {
  variable: string;
  /** The dotted field path the variable sets. */
  path: string;
}

export interface EnvLayer {
  raw: PlainObject;
  overrides: EnvOverride[];
  /** One per RUNNEL_* variable that names no config field; those are left out of `raw`. */
  unknown: ConfigWarning[];
}

/** RUNNEL_CLUSTER__NODE_ID -> "cluster.node_id"; null when the name is malformed. */
export function variableToPath(variable: string): string | null {
  const parts = variable.slice(ENV_PREFIX.length).split('__');
  if (parts.some((part) => part === '' || !/^[A-Za-z0-9_]+$/.test(part))) return null;
  return parts.map((part) => part.toLowerCase()).join('.');
}

/** "server.port" -> RUNNEL_SERVER__PORT. */
export function pathToVariable(path: string): string {
  return (
    ENV_PREFIX +
    path
      .split('.')
      .map((part) => part.toUpperCase())
      .join('__')
  );
}

/** The warning for a variable that names no config field, with the nearest field when one is close. */
function unknownVariable(variable: string, path: string | null): ConfigWarning {
  if (path === null) {
    return {
      variable,
      message: `environment variable ${variable} is not a config path and is ignored (a config variable is RUNNEL_ and the field path in upper case, "__" between levels, e.g. RUNNEL_SERVER__PORT)`,
    };
  }
  const near = suggestPath(path, allKnownPaths());
  const hint = near === undefined ? '' : ` (did you mean ${pathToVariable(near)}, "${near}"?)`;
  return { variable, message: `environment variable ${variable} is not a config field and is ignored${hint}` };
}

/**
 * Turns a variable's text into a value. Text that parses as JSON (numbers,
 * booleans, null, arrays, objects) is taken as JSON; other text is a string.
 * Fields whose type is a string keep the text as it is, so a secret of
 * "12345" stays a string. A member list (or another list) also accepts "a:1,b:2,c:3".
 */
export function parseEnvValue(path: string, text: string): unknown {
  const kind = fieldByKey(path)?.kind.type;
  if (kind === 'string' || kind === 'address') return text;
  if (kind === 'optional-string') return text === 'null' ? null : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if ((kind === 'members' || kind === 'list' || kind === 'enum-list') && typeof parsed === 'string') {
    return parsed === '' ? [] : parsed.split(',').map((entry) => entry.trim());
  }
  return parsed;
}

/** Collects the RUNNEL_* variables into a raw layer. */
export function envLayer(env: NodeJS.ProcessEnv): EnvLayer {
  const raw: PlainObject = {};
  const overrides: EnvOverride[] = [];
  const unknown: ConfigWarning[] = [];
  const known = new Set(allKnownPaths());
  // Sorting puts RUNNEL_CLUSTER before RUNNEL_CLUSTER__NODE_ID, so a specific
  // variable refines a whole-object one instead of being overwritten by it.
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !NON_CONFIG_ENV_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort();
  for (const variable of names) {
    const text = env[variable];
    if (text === undefined) continue;
    const path = variableToPath(variable);
    if (path === null || !known.has(path)) {
      unknown.push(unknownVariable(variable, path));
      continue;
    }
    setFromVariable(raw, path, parseEnvValue(path, text), variable, overrides);
    overrides.push({ variable, path });
  }
  return { raw, overrides, unknown };
}

function setFromVariable(raw: PlainObject, path: string, value: unknown, variable: string, overrides: EnvOverride[]): void {
  const parts = path.split('.');
  let node = raw;
  for (const [depth, part] of parts.slice(0, -1).entries()) {
    const next = node[part];
    if (next === undefined) {
      const created: PlainObject = {};
      node[part] = created;
      node = created;
    } else if (isPlainObject(next)) {
      node = next;
    } else {
      const prefix = parts.slice(0, depth + 1).join('.');
      const other = overrides.find((override) => override.path === prefix)?.variable ?? prefix;
      throw new ConfigError(
        path,
        `environment variable ${variable}: conflicts with ${other}, which sets "${prefix}" to a value that is not an object`,
        variable,
      );
    }
  }
  node[parts[parts.length - 1]!] = value;
}

/** For an issue at `field`, the variable that set it (or set the object it sits in). */
export function variableForField(overrides: readonly EnvOverride[], field: string): string | undefined {
  let best: EnvOverride | undefined;
  for (const override of overrides) {
    const covers =
      field === override.path || field.startsWith(`${override.path}.`) || field.startsWith(`${override.path}[`) || override.path.startsWith(`${field}.`);
    if (covers && (best === undefined || override.path.length > best.path.length)) best = override;
  }
  return best?.variable;
}

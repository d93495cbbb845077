// Turns one validated raw layer (a file, or the environment's overrides) into
// a partial RunnelConfig: Go durations become milliseconds, string ports
// become numbers, Go Queue member lists get node ids, Go Queue aliases land on
// their Runnel field, and ignored Go Queue fields are collected with a reason.
import { fieldError, type ConfigError } from './errors.ts';
import { FIELDS, targetOf, type FieldSpec } from './fields.ts';
import { readListeners } from './listeners.ts';
import { getPath, setPath, type PlainObject } from './paths.ts';
import type { ClusterMember, IgnoredField } from './types.ts';
import { readDuration, readListItem, readMember, readPort, readSize, type Read } from './values.ts';

export interface NormalisedLayer {
  /** Only the fields this layer set, at their RunnelConfig paths. */
  partial: PlainObject;
  ignored: IgnoredField[];
}

/** Maps a field path to the environment variable that set it, for error messages. */
export type VariableFor = (field: string) => string | undefined;

function unwrap<T>(read: Read<T>, field: string, variableFor: VariableFor): T {
  if (!read.ok) throw fieldError(field, read.problem, variableFor(field));
  return read.value;
}

function readMembers(value: unknown, field: string, variableFor: VariableFor): ClusterMember[] {
  const entries = value as unknown[];
  const members: ClusterMember[] = [];
  const positionById = new Map<number, number>();
  const positionByAddress = new Map<string, number>();
  for (const [position, entry] of entries.entries()) {
    const entryField = `${field}[${position}]`;
    const member = unwrap(readMember(entry, position), entryField, variableFor);
    const sameId = positionById.get(member.node_id);
    if (sameId !== undefined) {
      throw fieldError(entryField, `repeats node id ${member.node_id} (already at ${field}[${sameId}])`, variableFor(entryField));
    }
    const sameAddress = positionByAddress.get(member.address);
    if (sameAddress !== undefined) {
      throw fieldError(entryField, `repeats address "${member.address}" (already at ${field}[${sameAddress}])`, variableFor(entryField));
    }
    positionById.set(member.node_id, position);
    positionByAddress.set(member.address, position);
    members.push(member);
  }
  return members;
}

function convert(spec: FieldSpec, value: unknown, variableFor: VariableFor): unknown {
  const { kind, key } = spec;
  switch (kind.type) {
    case 'optional-string':
      return value === '' ? null : value;
    case 'port':
      return unwrap(readPort(value), key, variableFor);
    case 'duration':
      return unwrap(readDuration(value, kind), key, variableFor);
    case 'size':
      return unwrap(readSize(value, kind), key, variableFor);
    case 'members':
      return readMembers(value, key, variableFor);
    case 'listeners':
      return readListeners(value, key, (field, problem) => fieldError(field, problem, variableFor(field)));
    case 'list':
      return (value as unknown[]).map((entry, position) => unwrap(readListItem(kind.item, entry), `${key}[${position}]`, variableFor));
    case 'string':
    case 'boolean':
    case 'integer':
    case 'enum':
    case 'enum-list':
    case 'address':
    case 'ignored':
      return value;
  }
}

/**
 * Normalises a raw layer that already passed the schema. `source` names the
 * layer in the ignored-field report ("configs/node1.json", "environment").
 */
export function normaliseLayer(raw: PlainObject, source: string, variableFor: VariableFor): NormalisedLayer {
  const partial: PlainObject = {};
  const ignored: IgnoredField[] = [];
  const setBy = new Map<string, string>();
  for (const spec of FIELDS) {
    const value = getPath(raw, spec.key);
    if (value === undefined) continue;
    if (spec.kind.type === 'ignored') {
      ignored.push({ field: spec.key, reason: spec.kind.reason, source });
      continue;
    }
    const target = targetOf(spec);
    const earlier = setBy.get(target);
    if (earlier !== undefined) {
      throw conflictError(spec.key, earlier, target, variableFor);
    }
    setBy.set(target, spec.key);
    setPath(partial, target, convert(spec, value, variableFor));
  }
  return { partial, ignored };
}

function conflictError(key: string, earlier: string, target: string, variableFor: VariableFor): ConfigError {
  return fieldError(key, `sets the same setting as "${earlier}" (both mean ${target}); keep only one of them`, variableFor(key) ?? variableFor(earlier));
}

// Spec conformance: every declaration in src/protocol/apis is compared, version by
// version over our supported range, with Apache Kafka's JSON message definitions
// (field names in lowerCamelCase, order, types, presence, nullability, tags, defaults,
// flexible versions). The JSON files are Apache Kafka's (clients/src/main/resources/common/
// message in its source tree), not kept here: RUNNEL_KAFKA_REFERENCE names the directory that
// holds them, and without it the test is skipped with a message saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allApis } from '../../../src/protocol/apis/index.ts';
import { inRange, parseVersions, type FieldDef, type MessageSchema, type TypeSpec } from '../../../src/protocol/schema.ts';

const candidates = [process.env.RUNNEL_KAFKA_REFERENCE].filter((p): p is string => p !== undefined && p !== '');
const referenceDir = candidates.find((p) => fs.existsSync(path.join(p, 'ProduceRequest.json')));

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  fields?: JsonField[];
}

interface JsonMessage {
  apiKey: number;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: { name: string; versions: string; fields: JsonField[] }[];
}

function loadJson(name: string): JsonMessage {
  const text = fs.readFileSync(path.join(referenceDir!, `${name}.json`), 'utf8');
  // The files carry `//` comments, which JSON.parse does not accept; none occur in strings.
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as JsonMessage;
}

const PRIMITIVES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** A comparable description of a type at one version. */
type Shape = string | { array: Shape } | { struct: FieldShape[] };
interface FieldShape {
  name: string;
  type: Shape;
  nullable: boolean;
  tag: number | null;
  default: unknown;
}

function naturalDefault(kind: string): unknown {
  if (kind === 'bool') return false;
  if (kind === 'string') return '';
  if (kind === 'records') return null;
  if (['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64'].includes(kind)) return 0;
  return undefined; // bytes, uuid, arrays, structs: not comparable by value
}

function jsonDefault(f: JsonField, kind: string): unknown {
  if (f.default === undefined) return naturalDefault(kind);
  const d = f.default;
  if (kind === 'bool') return d === true || d === 'true';
  if (kind === 'string') return d === 'null' ? null : d;
  if (typeof d === 'number') return d;
  if (d === 'null') return null;
  return Number(d); // handles "-1" and "0x7fffffff"
}

function jsonShape(fields: JsonField[], version: number, flexible: boolean, common: Map<string, JsonField[]>): FieldShape[] {
  const out: FieldShape[] = [];
  for (const f of fields) {
    if (!inRange(parseVersions(f.versions), version)) continue;
    const tagged = flexible && f.taggedVersions !== undefined && inRange(parseVersions(f.taggedVersions), version);
    const isArray = f.type.startsWith('[]');
    const base = isArray ? f.type.slice(2) : f.type;
    let inner: Shape;
    if (PRIMITIVES.has(base)) inner = base;
    else {
      const sub = f.fields ?? common.get(base);
      assert.ok(sub, `struct type ${base} of ${f.name} has no fields in the JSON`);
      inner = { struct: jsonShape(sub, version, flexible, common) };
    }
    out.push({
      name: camel(f.name),
      type: isArray ? { array: inner } : inner,
      nullable: f.nullableVersions !== undefined && inRange(parseVersions(f.nullableVersions), version),
      tag: tagged ? f.tag! : null,
      default: isArray ? undefined : jsonDefault(f, base),
    });
  }
  return out;
}

function ourTypeShape(t: TypeSpec<unknown>, version: number, flexible: boolean): Shape {
  if (t.kind === 'array') return { array: ourTypeShape(t.items, version, flexible) };
  if (t.kind === 'struct') return { struct: ourShape(t.fields, version, flexible) };
  return t.kind;
}

function ourShape(fields: readonly FieldDef<string, unknown>[], version: number, flexible: boolean): FieldShape[] {
  const out: FieldShape[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const tagged = flexible && inRange(f.taggedVersions, version);
    const kind = f.type.kind;
    out.push({
      name: f.name,
      type: ourTypeShape(f.type, version, flexible),
      nullable: inRange(f.nullableVersions, version),
      tag: tagged ? f.tag! : null,
      default: kind === 'array' ? undefined : f.default !== undefined ? f.default : naturalDefault(kind),
    });
  }
  return out;
}

function compareMessage(schema: MessageSchema, json: JsonMessage): void {
  const jsonValid = parseVersions(json.validVersions);
  assert.ok(
    schema.validVersions.min >= jsonValid.min && schema.validVersions.max <= jsonValid.max,
    `${schema.name}: our versions ${schema.validVersions.min}-${schema.validVersions.max} exceed the spec's ${json.validVersions}`,
  );
  const jsonFlexible = parseVersions(json.flexibleVersions);
  const common = new Map((json.commonStructs ?? []).map((s) => [s.name, s.fields]));
  for (let v = schema.validVersions.min; v <= schema.validVersions.max; v++) {
    const flexible = inRange(jsonFlexible, v);
    assert.equal(inRange(schema.flexibleVersions, v), flexible, `${schema.name} v${v}: flexible`);
    assert.deepEqual(ourShape(schema.fields, v, flexible), jsonShape(json.fields, v, flexible, common), `${schema.name} v${v}`);
  }
}

test('every API declaration matches the Kafka JSON message definitions over our version range', async (t) => {
  if (referenceDir === undefined) {
    t.skip(`RUNNEL_KAFKA_REFERENCE does not name a directory of Apache Kafka message JSON (${candidates.join(', ') || 'unset'})`);
    return;
  }
  for (const api of allApis) {
    await t.test(api.name, () => {
      const req = loadJson(`${api.name}Request`);
      const res = loadJson(`${api.name}Response`);
      assert.equal(req.apiKey, api.apiKey, `${api.name} api key`);
      assert.equal(api.request.name, req.name);
      assert.equal(api.response.name, res.name);
      compareMessage(api.request, req);
      compareMessage(api.response, res);
    });
  }
});
